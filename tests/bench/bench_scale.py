"""Benchmark: 500 simulated boxes x 4 cameras (6 s segments, telemetry every 5 s, one event a minute) against
one portal process, then the same against two processes, each on a fresh PostgreSQL database, SeaweedFS bucket
and Mosquitto (docs/scale.md). Figures: telemetry lag p99 (box timestamp to commit, from the portal's
``dozor_mqtt_consumer_lag_seconds`` histogram; the share of samples within 1 s is exact, the p99 interpolated),
every segment indexed, ingest segments/s, portal CPU-seconds per 1,000 segments, and the 2-process/1-process
ratio of ingest rate. The simulator runs in DOZOR_BENCH_SIM_PROCESSES (4) processes of its own
(dozor/sim/processes.py: one process starved its own timers and publishes), its CPU reported apart.
DOZOR_BENCH_BOXES / DOZOR_BENCH_SECONDS override the scale for a quick look only (``at_issue_scale: false``).
Prints JSON.
Run: .venv/bin/pytest -s -p no:cacheprovider tests/bench/bench_scale.py
"""

import json
import os
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from dozor.sim.boxes import SimOptions
from dozor.sim.fleet import Simulation
from dozor.sim.processes import ProcessSimulation
from tests.scale import checks
from tests.scale.conftest import scale_stack  # noqa: F401 - the fixture
from tests.scale.stack import ScaleStack

ISSUE_BOXES, ISSUE_CAMERAS = 500, 4
CLK_TCK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pids: list[int]) -> float:
    """utime + stime of the portal processes and their reaped children (uvicorn workers), from /proc."""
    total = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += sum(int(v) for v in fields[11:15]) / CLK_TCK  # utime stime cutime cstime
    return total


def _own_cpu_seconds() -> float:
    """This process's CPU (the in-process simulator's, with the bench's own small share)."""
    return sum(os.times()[:2])


def _lag(urls: list[str], name: str = "dozor_mqtt_consumer_lag_seconds", kind: str | None = "telemetry") -> dict:
    buckets: dict[float, float] = {}
    for url in urls:
        text = httpx.get(f"{url}/metrics", timeout=30).text
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                if s.name == f"{name}_bucket" and s.labels.get("kind") == kind:
                    le = float(s.labels["le"])
                    buckets[le] = buckets.get(le, 0.0) + s.value
    total = buckets.get(float("inf"), 0.0)
    if not total:
        return {"samples": 0, "within_1s": None, "p99_s": None}
    bounds = sorted(buckets)
    p99, previous_bound, previous_count = None, 0.0, 0.0
    for bound in bounds:  # linear interpolation inside the bucket holding the 99th percentile
        if buckets[bound] >= 0.99 * total:
            if bound == float("inf"):
                p99 = previous_bound
            else:
                share = (0.99 * total - previous_count) / max(1e-9, buckets[bound] - previous_count)
                p99 = previous_bound + share * (bound - previous_bound)
            break
        previous_bound, previous_count = bound, buckets[bound]
    return {"samples": int(total), "within_1s": round(buckets.get(1.0, 0.0) / total, 4), "p99_s": p99 and round(p99, 3)}


def _table_bytes_per_row(stack: ScaleStack) -> dict[str, dict[str, float]]:
    """Rows and on-disk bytes per row (heap + indexes + TOAST) of the tables that grow with the fleet."""
    out = {}
    with stack.db.engine.connect() as conn:
        for table in ("archive_segments", "device_events", "device_health"):
            conn.exec_driver_sql(f"ANALYZE {table}")
            rows = conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar() or 0
            size = conn.exec_driver_sql(f"SELECT pg_total_relation_size('{table}')").scalar() or 0
            out[table] = {"rows": rows, "bytes_per_row": round(size / rows, 1) if rows else 0}
    return out


def _run(stack: ScaleStack, processes: int, boxes: int, seconds: float, clip: Path) -> dict:
    portals = [stack.start_portal() for _ in range(processes)]
    pids = [p.process.pid for p in portals if p.process.pid]
    options = SimOptions(
        portals=tuple(p.url for p in portals),
        broker_host="127.0.0.1",
        broker_port=stack.broker.port,
        cameras=ISSUE_CAMERAS,
        segment_seconds=6.0,
        telemetry_seconds=5.0,
        events_per_minute=1.0,
        upload_lanes=24,
    )
    sim_processes = int(os.environ.get("DOZOR_BENCH_SIM_PROCESSES", "4"))
    sim: Simulation | ProcessSimulation
    if sim_processes > 1:
        sim = ProcessSimulation(stack.boxes[:boxes], options, clip, processes=sim_processes)
    else:
        sim = Simulation(stack.boxes[:boxes], options, clip)
    broker_pid = stack.broker.process.pid
    assert broker_pid is not None
    cpu_before, broker_before, started = _cpu_seconds(pids), _cpu_seconds([broker_pid]), time.monotonic()
    sim_cpu_before = _own_cpu_seconds()
    sim.start()
    time.sleep(seconds)
    drained = sim.finish(drain_timeout=float(os.environ.get("DOZOR_BENCH_DRAIN", "900")))
    elapsed = time.monotonic() - started
    cpu = _cpu_seconds(pids) - cpu_before
    broker_cpu = _cpu_seconds([broker_pid]) - broker_before
    sim_cpu = sim.cpu_s if isinstance(sim, ProcessSimulation) else _own_cpu_seconds() - sim_cpu_before
    c = sim.counters
    box_messages = c.telemetry + c.events + c.connects  # status births; plus the wills/results, negligible
    indexed = checks.indexed_segments(stack.db)
    stored = checks.stored_segments(sim.boxes)
    published = checks.published_events(sim.boxes)
    events = checks.event_counts(stack.db)
    latency = sorted(sim.counters.upload_latency)
    return {
        "processes": processes,
        "boxes": boxes,
        "cameras": boxes * ISSUE_CAMERAS,
        "seconds": seconds,
        "wall_seconds": round(elapsed, 1),
        "segments_due": sim.counters.segments_due,
        # What a simulator keeping time would have produced: fewer due means its timers ran late.
        "segments_due_on_time": int(boxes * ISSUE_CAMERAS * (seconds / options.segment_seconds)),
        "segments_indexed": len(stored & indexed),
        "every_segment_indexed": drained and len(stored) == sim.counters.segments_due and stored <= indexed,
        # The first segments complete one segment length after the start: the rate is over the time after that.
        "ingest_segments_per_s": round(len(stored & indexed) / max(1.0, elapsed - options.segment_seconds), 1),
        "offered_segments_per_s": round(boxes * ISSUE_CAMERAS / 6.0, 1),
        "upload_latency_p99_s": latency and round(latency[min(len(latency) - 1, int(len(latency) * 0.99))], 3),
        "portal_cpu_s": round(cpu, 1),
        "portal_cpu_s_per_1000_segments": round(1000 * cpu / max(1, len(stored)), 2),
        "telemetry_lag": _lag([p.url for p in portals]),
        # The consumer's own part of it (its receipt to commit, every kind): the rest is broker and box side.
        "consumer_commit_delay": _lag([p.url for p in portals], "dozor_mqtt_commit_delay_seconds", None),
        "simulator": {"processes": max(1, sim_processes), "cpu_s": round(sim_cpu, 1)},
        "events_published": len(published),
        "events_stored_once": sum(1 for key in published if events[key] == 1),
        "telemetry_published": sim.counters.telemetry,
        "broker": {
            "connections": boxes + processes,
            "box_messages": box_messages,
            "box_messages_per_s": round(box_messages / seconds, 1),
            "cpu_s": round(broker_cpu, 2),
            "cpu_s_per_1000_messages": round(1000 * broker_cpu / max(1, box_messages), 3),
        },
        "database": _table_bytes_per_row(stack),
    }


@pytest.mark.timeout(3600)
def test_bench_scale(scale_stack, tmp_path) -> None:  # noqa: F811 - the fixture imported above
    boxes = int(os.environ.get("DOZOR_BENCH_BOXES", str(ISSUE_BOXES)))
    seconds = float(os.environ.get("DOZOR_BENCH_SECONDS", "60"))
    runs = []
    for processes in (1, 2):
        stack = scale_stack(boxes=boxes, cameras=ISSUE_CAMERAS)
        runs.append(_run(stack, processes, boxes, seconds, tmp_path / "clip"))
        stack.stop()
        stack.portals.clear()
    one, two = runs
    lag_ok = all((r["telemetry_lag"]["within_1s"] or 0) >= 0.99 for r in runs)
    report = {
        "benchmark": "scale: simulated boxes against one and two portal processes",
        "at_issue_scale": boxes >= ISSUE_BOXES and seconds >= 60,
        "machine": {"cpus": os.cpu_count(), "load_average_1m_at_end": round(os.getloadavg()[0], 1)},
        "one_process": one,
        "two_processes": two,
        "ingest_ratio_two_over_one": round(two["ingest_segments_per_s"] / max(0.1, one["ingest_segments_per_s"]), 2),
        "meets_target": {
            "telemetry_lag_p99_within_1s": lag_ok,
            "every_segment_indexed": one["every_segment_indexed"] and two["every_segment_indexed"],
        },
    }
    print(json.dumps(report, indent=1))
    assert one["segments_due"] > 0 and two["segments_due"] > 0
