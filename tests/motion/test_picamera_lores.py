"""The Pi camera's motion source: the recorder's `lores` stream, no decoding. Off the Pi the fake picamera2
(tests/edge/fake_picamera2) streams a pre-made H.264 file to the recorder and draws a square moving in its lores
pictures during seconds 2-5 of every 10."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from edge.box import Box
from edge.config import EdgeConfig
from edge.recorder.command import ffmpeg_binary
from tests.fixtures.ports import wait_until

FAKE = Path(__file__).parents[1] / "edge" / "fake_picamera2"


def test_pi_camera_motion_comes_from_the_lores_stream(tmp_path: Path, monkeypatch) -> None:
    stream = tmp_path / "pi.h264"
    subprocess.run(
        [ffmpeg_binary(None), "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "smptebars=size=320x240:rate=10",
         "-t", "5", "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-bsf:v", "h264_mp4toannexb",
         "-pix_fmt", "yuv420p", "-f", "h264", str(stream)],
        check=True,
        timeout=120,
    )  # fmt: skip
    monkeypatch.syspath_prepend(str(FAKE))
    monkeypatch.setenv("FAKE_PICAMERA_H264", str(stream))
    camera = {"id": "pi", "url": "picamera", "width": 320, "height": 240, "fps": 10, "segment_seconds": 1}
    config = EdgeConfig.model_validate(
        {"device_id": "b", "data_dir": tmp_path / "data", "cameras": [{**camera, "motion": {"enabled": True}}]}
    )
    box = Box(config)
    since = datetime.now(UTC)
    box.start()
    try:
        worker = wait_until(lambda: box.motion_worker("pi"), 10, message="the detector")
        # A whole scripted cycle (the detector may have joined one half-way): starts at second 2 of 10.
        ended = wait_until(
            lambda: [
                e
                for e in box.motion_log.events("pi", since, datetime.now(UTC))
                if e.end is not None and 1.5 <= e.start.timestamp() % 10 <= 3.0
            ],
            50,
            message="a motion event from the lores stream",
        )
        assert worker.source_label == "picamera lores" and worker.error == ""
        event = ended[0]
        # The scripted 3 s of motion (seconds 2-5): the event starts in its first second and lasts into its last
        # half-second. Its ends are frame times, so a loaded machine dropping frames moves them by a frame or two.
        cycle = event.start.timestamp() - event.start.timestamp() % 10
        assert event.end.timestamp() - cycle >= 4.5, event
        assert event.end - event.start <= timedelta(seconds=4), event
        assert event.thumbnail is not None and event.thumbnail[:2] == b"\xff\xd8"
    finally:
        box.stop()
