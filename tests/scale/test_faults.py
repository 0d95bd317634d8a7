"""Fault tests of the scale-out (docs/scale.md), on PostgreSQL + SeaweedFS + Mosquitto with real portal
processes and simulated boxes:

- kill -9 one of two portal processes while 50 boxes upload and publish: no segment lost, no event lost or
  doubled, the survivor's periodic jobs keep finishing their passes;
- every portal process down for 60 s while boxes publish events: each event handled once after they return.
"""

import time
from datetime import UTC, datetime

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from dozor.sim.boxes import SimOptions
from dozor.sim.fleet import Simulation
from portal.models import DeviceHealth
from tests.fixtures.ports import wait_until
from tests.scale import checks

pytestmark = pytest.mark.slow
JOBS = {"DOZOR_RETENTION_SWEEP_SECONDS": "2", "DOZOR_NOTIFY_WORKER_SECONDS": "2", "DOZOR_MQTT_ADOPT_SECONDS": "2"}


def _options(stack, portals, segment_seconds: float = 2.0) -> SimOptions:
    return SimOptions(
        portals=tuple(p.url for p in portals),
        broker_host="127.0.0.1",
        broker_port=stack.broker.port,
        cameras=1,
        segment_seconds=segment_seconds,
        telemetry_seconds=2.0,
        events_per_minute=12,
        upload_lanes=8,
    )


def _job_passes(url: str) -> dict[str, float]:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    passes: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "dozor_job_duration_seconds_count":
                passes[sample.labels["job"]] = sample.value
            if sample.name == "dozor_job_failures_total":
                passes["failures:" + sample.labels["job"]] = sample.value
    return passes


def _every_event_once(stack, sim) -> None:
    published = checks.published_events(sim.boxes)
    wait_until(lambda: set(checks.event_counts(stack.db)) >= published, 120, message="every published event stored")
    counts = checks.event_counts(stack.db)
    doubled = [key for key in published if counts[key] != 1]
    assert not doubled, f"{len(doubled)} events stored more than once"
    assert len(published) >= 20


def _every_segment_indexed(stack, sim) -> None:
    stored = checks.stored_segments(sim.boxes)
    assert len(stored) == sim.counters.segments_due, "every segment the boxes produced was acknowledged"
    missing = stored - checks.indexed_segments(stack.db)
    assert not missing, f"{len(missing)} acknowledged segments are not in the index"


def test_kill_9_one_of_two_portal_processes(scale_stack, tmp_path) -> None:
    stack = scale_stack(boxes=50, cameras=1)
    first, second = stack.start_portal(extra=JOBS), stack.start_portal(extra=JOBS)
    sim = Simulation(stack.boxes, _options(stack, [first, second]), tmp_path / "clip").start()
    try:
        wait_until(lambda: sim.counters.segments_stored >= 50 and sim.counters.events >= 20, 90, message="load")
        first.process.kill()  # SIGKILL: no shutdown, batches in flight, unacknowledged messages at the broker
        killed_at = datetime.now(UTC)
        before = _job_passes(second.url)
        jobs = ("retention sweep", "notification delivery pass")

        def survivor_passed() -> bool:  # the load keeps running while the survivor finishes its job passes
            now = _job_passes(second.url)
            return all(now.get(job, 0) > before.get(job, 0) for job in jobs)

        def fresh_telemetry() -> bool:  # every box published again (2 s period) and the survivor applied it
            with stack.db.session() as s:
                newer = select(func.count()).select_from(DeviceHealth).where(DeviceHealth.received_at > killed_at)
                return s.scalar(newer) == 50

        wait_until(survivor_passed, 60, interval=0.5, message="the survivor's job passes after the kill")
        # The load runs on until then: a box that published just before the kill publishes next ~2 s later.
        wait_until(fresh_telemetry, 30, message="every box's telemetry applied after the kill")
    finally:
        assert sim.finish(drain_timeout=180), "every due segment stored after the kill"
    _every_segment_indexed(stack, sim)
    _every_event_once(stack, sim)
    after = _job_passes(second.url)
    for job in ("retention sweep", "notification delivery pass"):
        assert after.get(job, 0) > before.get(job, 0), f"{job}: the survivor kept finishing passes"
        assert after.get(f"failures:{job}", 0) == 0
    assert sim.counters.command_repeats == 0


def test_all_portal_processes_down_60_s(scale_stack, tmp_path) -> None:
    stack = scale_stack(boxes=20, cameras=1)
    portals = [stack.start_portal(extra=JOBS), stack.start_portal(extra=JOBS)]
    sim = Simulation(stack.boxes, _options(stack, portals, segment_seconds=3.0), tmp_path / "clip").start()
    try:
        wait_until(lambda: sim.counters.events >= 5, 60, message="first events")
        for portal in portals:
            portal.process.kill()
        events_before = sim.counters.events
        time.sleep(60)
        assert sim.counters.events - events_before >= 100, "the boxes kept publishing during the outage"
        stored_during = len(checks.event_counts(stack.db))
        for portal in list(portals):
            stack.portals.remove(portal)
            stack.start_portal(port=portal.port, extra=JOBS)
    finally:
        assert sim.finish(drain_timeout=180), "every due segment stored after the outage"
    assert stored_during <= events_before + 5  # nobody handled them while all workers were down
    _every_event_once(stack, sim)
    _every_segment_indexed(stack, sim)
