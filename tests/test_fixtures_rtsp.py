"""The RTSP camera simulator serves real H.264 that ffmpeg records and PyAV decodes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import av
import pytest

from tests.fixtures.ports import port_open, wait_until

pytestmark = pytest.mark.slow  # ffmpeg and GStreamer sessions of several seconds each


def record(url: str, out: Path, seconds: float = 2.0) -> subprocess.CompletedProcess[str]:
    argv = [
        "ffmpeg",
        "-nostdin",
        "-loglevel",
        "error",
        "-y",
        "-rtsp_transport",
        "tcp",
        "-i",
        url,
        "-c",
        "copy",
        "-t",
        str(seconds),
        str(out),
    ]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


def decoded_frames(path: Path) -> list[tuple[int, int]]:
    with av.open(str(path)) as container:
        return [(frame.width, frame.height) for frame in container.decode(video=0)]


def test_ffmpeg_records_and_pyav_decodes(rtsp_server, tmp_path):
    for path in ("cam1", "cam3"):
        out = tmp_path / f"{path}.mp4"
        result = record(rtsp_server.url(path), out)
        assert result.returncode == 0, result.stderr
        frames = decoded_frames(out)
        assert len(frames) >= 10, f"only {len(frames)} frames in 2 s at 10 fps"
        assert set(frames) == {(320, 240)}


def test_two_clients_share_one_path(rtsp_server, tmp_path):
    """Two readers of one path at once. The second connects once the first is receiving: two DESCRIBEs in the
    same instant can catch the shared media while it is still being prepared (GStreamer then refuses one)."""

    def argv(out, seconds):
        return [
            "ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-rtsp_transport", "tcp",
            "-i", rtsp_server.url("cam2"), "-c", "copy", "-t", str(seconds), str(out),
        ]  # fmt: skip

    first = subprocess.Popen(argv(tmp_path / "c1.mp4", 4), stderr=subprocess.PIPE, text=True)
    wait_until(
        lambda: (tmp_path / "c1.mp4").exists() or first.poll() is not None, 30, message="the first client receiving"
    )
    second = subprocess.Popen(argv(tmp_path / "c2.mp4", 2), stderr=subprocess.PIPE, text=True)
    for proc in (first, second):
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    assert all(decoded_frames(tmp_path / f"c{i}.mp4") for i in (1, 2))


def test_auth_and_custom_size(rtsp_camera, tmp_path):
    cam = rtsp_camera(["door"], user="admin", password="s3cret", width=160, height=120, fps=5)
    bad = record(cam.url("door", password="wrong"), tmp_path / "bad.mp4", 1)
    assert bad.returncode != 0
    assert "401" in bad.stderr
    good = record(cam.url("door"), tmp_path / "good.mp4")
    assert good.returncode == 0, good.stderr
    assert set(decoded_frames(tmp_path / "good.mp4")) == {(160, 120)}


def test_kill_and_restart_on_same_port(rtsp_camera, tmp_path):
    cam = rtsp_camera()
    port = cam.port
    cam.kill()
    wait_until(lambda: not port_open("127.0.0.1", port), 10, message="port to close after SIGKILL")
    cam.start()
    assert cam.port == port
    result = record(cam.url(), tmp_path / "again.mp4", 1)
    assert result.returncode == 0, result.stderr


def test_frozen_camera_times_out_then_thaws(rtsp_camera, tmp_path):
    cam = rtsp_camera()
    cam.freeze()
    argv = [
        "ffmpeg",
        "-nostdin",
        "-loglevel",
        "error",
        "-y",
        "-rtsp_transport",
        "tcp",
        "-timeout",
        "2000000",
        "-i",
        cam.url(),
        "-c",
        "copy",
        "-t",
        "1",
        str(tmp_path / "frozen.mp4"),
    ]
    frozen = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert frozen.returncode != 0
    cam.thaw()
    result = record(cam.url(), tmp_path / "thawed.mp4", 1)
    assert result.returncode == 0, result.stderr
