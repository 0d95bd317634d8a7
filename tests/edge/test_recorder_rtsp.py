"""The recorder against the GStreamer RTSP camera simulator: runs, contiguity, outages and their gaps.

Scaled for 2 shared cores: 1 s segments, 320x240 at 10 fps; the issue's 60 s three-camera run is 20 s here
unless DOZOR_EDGE_RECORD_SECONDS=60 asks for the full length.
"""

import json
import logging
import os
import time
from datetime import UTC, datetime, timedelta

import pytest

from edge.archive.catalogue import Catalogue, SegmentRecord
from tests.fixtures.ports import wait_until

pytestmark = pytest.mark.slow  # records real RTSP for tens of seconds

WINDOW = (datetime(2020, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
RECORD_SECONDS = float(os.environ.get("DOZOR_EDGE_RECORD_SECONDS", "20"))


def segments(box, camera_id: str) -> list[SegmentRecord]:
    return box.catalogue.segments(camera_id, *WINDOW)


def reopened(box) -> Catalogue:
    """The box's catalogue after box.stop() closed it."""
    return Catalogue(box.catalogue.db_path, box.catalogue.archive_root)


def runs_of(box, camera_id: str) -> dict[str, list[SegmentRecord]]:
    grouped: dict[str, list[SegmentRecord]] = {}
    for segment in segments(box, camera_id):
        grouped.setdefault(segment.run_id, []).append(segment)
    return grouped


def camera(cid: str, url: str, **extra) -> dict:
    return {"id": cid, "url": url, "segment_seconds": 1, **extra}


def assert_contiguous(run: list[SegmentRecord]) -> None:
    run = sorted(run, key=lambda s: s.seq)
    for before, after in zip(run, run[1:], strict=False):
        assert abs((after.start - before.end).total_seconds()) <= 0.005, (before, after)


def test_three_cameras_contiguous_and_on_wall_time(make_box, rtsp_server) -> None:
    ids = ["cam1", "cam2", "cam3"]
    box, events = make_box([camera(i, rtsp_server.url(i)) for i in ids])
    wait_until(lambda: all(len(segments(box, i)) >= 1 for i in ids), 60, message="first segments")
    time.sleep(RECORD_SECONDS)
    stopped_at = datetime.now(UTC)
    box.stop()
    catalogue = reopened(box)
    for cid in ids:
        recorded = catalogue.segments(cid, *WINDOW)
        runs = {s.run_id for s in recorded}
        assert len(runs) == 1, f"{cid} restarted: {runs}"
        assert_contiguous(recorded)
        # cut on keyframes (1 s GOP); the first may hold an extra GOP, the last was cut short by the stop
        assert all(0.9 <= s.duration <= 1.1 for s in recorded[1:-1]), [s.duration for s in recorded]
        assert 0 < recorded[0].duration <= 2.1 and 0 < recorded[-1].duration <= 1.1
        total = sum(s.duration for s in recorded)
        span = (stopped_at - recorded[0].start).total_seconds()
        assert abs(span - total) <= 1.0 + 0.5, (cid, span, total)  # within one segment (+ anchor slack)
        assert abs((recorded[-1].end - stopped_at).total_seconds()) <= 1.5
        run = catalogue.run(cid, recorded[0].run_id)
        assert run is not None and run.end_reason == "box_down" and run.init_path.exists()
    assert {e["camera_id"] for e in events.of("camera_up")} == set(ids)


def test_camera_killed_then_back(make_box, rtsp_camera) -> None:
    sim = rtsp_camera(("cam1",))
    box, events = make_box([camera("cam1", sim.url("cam1"))])
    wait_until(lambda: len(segments(box, "cam1")) >= 3, 60, message="recording")
    sim.kill()
    time.sleep(10)
    sim.start()
    back_at = datetime.now(UTC)
    wait_until(lambda: len(runs_of(box, "cam1")) >= 2, 60, interval=0.2, message="a second run")
    runs = sorted(runs_of(box, "cam1").values(), key=lambda r: r[0].start)
    first, second = runs[0], runs[1]
    assert (second[0].start - back_at).total_seconds() <= 3.0  # resumed within 3 s of the camera's return
    # The gap row is written a moment after the new run's first segment: wait for it, then check it exactly.
    wait_until(lambda: box.catalogue.gaps("cam1", *WINDOW), 10, interval=0.1, message="the gap row")
    gaps = box.catalogue.gaps("cam1", *WINDOW)
    assert [g.reason for g in gaps] == ["camera_unreachable"]
    assert abs((gaps[0].start - first[-1].end).total_seconds()) < 0.01
    assert abs((gaps[0].end - second[0].start).total_seconds()) < 0.01
    assert box.catalogue.run("cam1", first[0].run_id).end_reason == "camera_unreachable"
    assert [e["camera_id"] for e in events.of("gap")] == ["cam1"]
    assert any(e["reason"] == "camera_unreachable" for e in events.of("camera_down"))


def test_frozen_camera_is_a_stalled_gap(make_box, rtsp_camera) -> None:
    sim = rtsp_camera(("cam1",))
    box, _ = make_box([camera("cam1", sim.url("cam1"), stall_seconds=3)])
    wait_until(lambda: len(segments(box, "cam1")) >= 2, 60, message="recording")
    sim.freeze()
    wait_until(lambda: box.status()["cameras"]["cam1"]["last_error"] == "stalled", 30, message="stall noticed")
    time.sleep(3)
    sim.thaw()
    wait_until(lambda: len(runs_of(box, "cam1")) >= 2, 60, interval=0.2, message="recording again")
    gaps = box.catalogue.gaps("cam1", *WINDOW)
    assert gaps and gaps[0].reason == "stalled"
    first_run = min(runs_of(box, "cam1").values(), key=lambda r: r[0].start)
    assert abs((gaps[0].start - first_run[-1].end).total_seconds()) < 0.01
    assert box.catalogue.run("cam1", first_run[0].run_id).end_reason == "stalled"


def test_wrong_password_is_camera_auth_with_slowing_retries(make_box, rtsp_camera, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    sim = rtsp_camera(("cam1",), user="admin", password="right-pass")
    box, _ = make_box([camera("cam1", sim.url("cam1", password="wrong-pass-7"))])
    supervisor = box.supervisor("cam1")
    wait_until(lambda: supervisor.restarts >= 4, 90, message="four retries")
    status = box.status()["cameras"]["cam1"]
    assert status["last_error"] == "auth_failed" and status["open_gap"]["reason"] == "camera_auth"
    attempts = list(supervisor.attempts)
    intervals = [b - a for a, b in zip(attempts, attempts[1:], strict=False)]
    assert intervals[-1] > 2 * intervals[0], intervals  # backoff visibly slows retries
    text = json.dumps(box.status()) + caplog.text
    assert "wrong-pass-7" not in text and "right-pass" not in text
    # fixed credentials: recording starts and the outage is typed camera_auth
    fixed = box.config.cameras[0].model_copy(update={"password": None, "url": sim.url("cam1")})
    from edge.config import CameraConfig

    box.reconfigure([CameraConfig.model_validate(camera("cam1", sim.url("cam1")))])
    assert fixed.id == "cam1"
    wait_until(lambda: segments(box, "cam1"), 60, message="recording with the right password")
    gaps = box.catalogue.gaps("cam1", *WINDOW)
    assert [g.reason for g in gaps] == ["camera_auth"]
    assert gaps[0].end == segments(box, "cam1")[0].start
    assert (gaps[0].end - gaps[0].start) > timedelta(seconds=3)
