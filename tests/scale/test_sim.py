"""`dozor sim boxes` against one real portal (PostgreSQL, SeaweedFS, Mosquitto): every segment the boxes
produced is indexed, every event stored once, every box's telemetry applied, and a command reaches its box once."""

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from dozor.sim.boxes import SimOptions
from dozor.sim.fleet import Simulation
from dozor.sim.processes import ProcessSimulation
from dozor.sim.provision import save
from portal.fleet.broker_config import parse_mqtt_url
from portal.fleet.commands import CommandSender
from portal.fleet.consumer import FleetConsumer
from tests.fixtures.ports import wait_until
from tests.scale import checks

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow  # real portal processes and ~30 s of simulated boxes each


def test_simulated_boxes_are_indexed_stored_once_and_commanded_once(scale_stack, tmp_path) -> None:
    stack = scale_stack(boxes=6, cameras=2)
    portal = stack.start_portal()
    options = SimOptions(
        portals=(portal.url,),
        broker_host="127.0.0.1",
        broker_port=stack.broker.port,
        cameras=2,
        segment_seconds=2.0,
        telemetry_seconds=1.0,
        events_per_minute=20,
        upload_lanes=3,
    )
    sim = Simulation(stack.boxes, options, tmp_path / "clip").start()
    wait_until(lambda: checks.boxes_with_telemetry(stack.db) == 6, 60, message="every box's telemetry")
    # A command from a second portal worker (this test's own consumer in the share group) reaches its box once.
    worker = FleetConsumer(stack.db, parse_mqtt_url(stack.env()["DOZOR_MQTT_URL"]), client_id="test-worker").start()
    try:
        assert worker.subscribed.wait(20)
        sender = CommandSender(stack.db, worker)
        answer = sender.send(stack.boxes[0].device_id, "ping", {}, timeout=60)
        assert answer is not None and answer["ok"], answer
        assert list(sim.boxes[0].executed.values()) == [1]
    finally:
        worker.stop(end_session=True)  # an extra worker leaving for good: nothing more is queued for it
    wait_until(lambda: sim.counters.segments_due >= 12, 60, message="segments produced")
    assert sim.finish(drain_timeout=120), "every due segment stored"
    summary_due, stored = sim.counters.segments_due, checks.stored_segments(sim.boxes)
    assert len(stored) == summary_due
    assert stored <= checks.indexed_segments(stack.db)  # every acknowledged segment is in the index
    published = checks.published_events(sim.boxes)
    assert published
    wait_until(lambda: set(checks.event_counts(stack.db)) >= published, 90, message="every event stored")
    counts = checks.event_counts(stack.db)
    assert all(counts[key] == 1 for key in published)


def test_cli_provisions_and_runs_boxes_with_a_json_summary(scale_stack, tmp_path) -> None:
    stack = scale_stack(boxes=2, cameras=1)
    portal = stack.start_portal()
    creds = save(tmp_path / "boxes.json", stack.boxes)
    argv = [str(BIN / "dozor"), "sim", "boxes", "2", "--portal", portal.url, "--broker", stack.broker.url]
    argv += ["--cameras", "1", "--seconds", "5", "--segment-seconds", "2", "--credentials", str(creds)]
    argv += ["--clip-dir", str(tmp_path / "clip"), "--telemetry-seconds", "1", "--events-per-minute", "30"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["boxes"] == 2 and summary["segments"]["all_stored"] and summary["segments"]["due"] >= 2
    assert summary["mqtt"]["telemetry"] >= 4
    refused = subprocess.run(argv[:3] + ["9"] + argv[4:], capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "count" in refused.stderr and "holds 2 boxes" in refused.stderr
    assert httpx.get(f"{portal.url}/healthz").status_code == 200


def test_simulator_split_across_processes_reports_every_box(scale_stack, tmp_path) -> None:
    """The benchmark's simulator (dozor/sim/processes.py): children run slices of the fleet; what the parent
    collects matches the database (every segment indexed, every acknowledged event stored once)."""
    stack = scale_stack(boxes=8, cameras=2)
    portal = stack.start_portal()
    options = SimOptions(
        portals=(portal.url,),
        broker_host="127.0.0.1",
        broker_port=stack.broker.port,
        cameras=2,
        segment_seconds=2.0,
        telemetry_seconds=1.0,
        events_per_minute=20,
        upload_lanes=4,
    )
    sim = ProcessSimulation(stack.boxes, options, tmp_path / "clip", processes=2).start()
    wait_until(lambda: checks.boxes_with_telemetry(stack.db) == 8, 120, message="every box's telemetry")
    # Telemetry comes each second, segments every 2 s: on a quick machine the first can all be in before any
    # segment is due, so run until every camera's first segments are indexed too.
    wait_until(lambda: len(checks.indexed_segments(stack.db)) >= 2 * 8 * 2, 120, message="segments indexed")
    assert sim.finish(drain_timeout=120), "every due segment stored"
    assert sorted(b.device_id for b in sim.boxes) == sorted(c.device_id for c in stack.boxes)
    stored = checks.stored_segments(sim.boxes)
    assert sim.counters.segments_due > 0 and len(stored) == sim.counters.segments_due
    assert stored <= checks.indexed_segments(stack.db)
    published, stored_events = checks.published_events(sim.boxes), checks.event_counts(stack.db)
    assert published and all(stored_events[key] == 1 for key in published)
    assert sim.counters.telemetry > 0 and sim.cpu_s > 0
