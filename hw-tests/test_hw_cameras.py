"""Each configured camera is reachable and decodable (RTSP probed with PyAV; synthetic through ffmpeg)."""

from __future__ import annotations

import io
import os
import subprocess

import av
import pytest

from edge.config import CameraConfig, load_config
from edge.recorder.command import ffmpeg_binary
from edge.techui.probe import probe


def _cameras() -> list[CameraConfig]:
    path = os.environ.get("DOZOR_CONFIG")
    if path:
        return [c for c in load_config(path).cameras if c.enabled]
    return [CameraConfig(id="synthetic-1", url="lavfi:testsrc2", width=320, height=240, fps=10)]


@pytest.mark.parametrize("camera", _cameras(), ids=lambda c: c.id)
def test_camera_reachable_and_decodable(hw, camera: CameraConfig, record_property) -> None:
    if camera.kind == "picamera":
        pytest.skip("the Pi camera is checked by test_hw_picamera")
    if camera.kind == "rtsp":
        result = probe(camera.credentialed_url(), sample_seconds=2.0)
        record_property("probe", result.message)
        assert result.ok, f"{camera.id}: {result.message}"
        return
    # Synthetic: the same ffmpeg the recorder uses must encode the lavfi source to H.264 we can decode.
    size = f"{camera.width}x{camera.height}"
    argv = [
        ffmpeg_binary(hw.config.ffmpeg),
        "-hide_banner",
        "-loglevel",
        "error",
        "-f",
        "lavfi",
        "-i",
        f"{camera.lavfi_source()}=size={size}:rate={camera.fps}",
        "-t",
        "1",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-f",
        "mp4",
        "-movflags",
        "frag_keyframe+empty_moov",
        "pipe:1",
    ]
    encoded = subprocess.run(argv, capture_output=True, timeout=60)
    assert encoded.returncode == 0, encoded.stderr.decode(errors="replace")[-400:]
    with av.open(io.BytesIO(encoded.stdout), format="mp4") as container:
        frames = [f for f in container.decode(video=0)]
    assert len(frames) >= camera.fps // 2, f"{camera.id}: only {len(frames)} frames decoded"
    assert (frames[0].width, frames[0].height) == (camera.width, camera.height)
    record_property("probe", f"synthetic h264 {size}, {len(frames)} frames")
