"""The picamera path (with a fake picamera2, no Pi here) and a wall-clock step (a fake clock offset)."""

import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from edge.box import Box
from edge.clock import Clock
from edge.config import EdgeConfig
from edge.recorder.command import ffmpeg_binary
from tests.fixtures.ports import wait_until

pytestmark = pytest.mark.slow  # records, then steps the clock

WINDOW = (datetime(2020, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


def test_picamera_source_records_through_ffmpeg_stdin(make_box, tmp_path: Path, monkeypatch) -> None:
    stream = tmp_path / "pi.h264"
    subprocess.run(
        [
            ffmpeg_binary(None),
            "-hide_banner",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=10",
            "-t",
            "10",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-g",
            "10",
            "-bsf:v",
            "h264_mp4toannexb",
            "-pix_fmt",
            "yuv420p",
            "-f",
            "h264",
            str(stream),
        ],
        check=True,
        timeout=120,
    )
    monkeypatch.syspath_prepend(str(Path(__file__).with_name("fake_picamera2")))
    monkeypatch.setenv("FAKE_PICAMERA_H264", str(stream))
    box, _ = make_box([{"id": "pi", "url": "picamera", "width": 320, "height": 240, "fps": 10, "segment_seconds": 1}])
    wait_until(lambda: len(box.catalogue.segments("pi", *WINDOW)) >= 3, 60, message="picamera segments")
    segments = box.catalogue.segments("pi", *WINDOW)
    assert all(0.9 <= s.duration <= 2.1 for s in segments)
    assert box.status()["cameras"]["pi"]["kind"] == "picamera"
    assert box.snapshot("pi")[:2] == b"\xff\xd8"  # a JPEG of the newest keyframe


class SteppingClock(Clock):
    """The real clocks plus an offset the test moves (the machine's clock must not be touched)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def wall(self) -> float:
        return time.time() + self.offset


def test_clock_step_splits_the_run(tmp_path: Path) -> None:
    clock = SteppingClock()
    config = EdgeConfig.model_validate(
        {
            "device_id": "b",
            "data_dir": tmp_path / "data",
            "cameras": [{"id": "syn", "url": "lavfi:testsrc2", "width": 160, "height": 120, "segment_seconds": 1}],
        }
    )
    box = Box(config, clock=clock)
    box.start()
    try:
        wait_until(lambda: len(box.catalogue.segments("syn", *WINDOW)) >= 2, 60, message="recording")
        clock.offset = 3600.0
        wait_until(lambda: len(box.catalogue.runs("syn")) >= 2, 60, message="a second run")
        # The gap row is written when the split is settled, a moment after the new run's row (seen under load).
        wait_until(lambda: box.catalogue.gaps("syn", *WINDOW), 30, message="the clock_step gap")
        first, second = box.catalogue.runs("syn")[:2]
        assert box.catalogue.run("syn", first.run_id).end_reason == "clock_step"
        gaps = box.catalogue.gaps("syn", *WINDOW)
        assert [g.reason for g in gaps] == ["clock_step"]
        assert 3590 < (gaps[0].end - gaps[0].start).total_seconds() < 3610
        assert gaps[0].end == second.start
    finally:
        box.stop()
