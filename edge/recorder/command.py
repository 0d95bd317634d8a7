"""The ffmpeg command of one recording run, built with ffmpeg-python.

Output: the HLS muxer in fMP4 mode, run inside the run's spool directory (relative names avoid the muxer's
path quirks): `init.mp4`, `NNNNNN.m4s` (temp_file: a name appears only once its bytes are complete) and
`index.m3u8`, which lists each segment once it is finished. Segments are cut on the keyframe after
`hls_time`, and decode times run on across segments, so init + segments concatenate into one playable file.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import ffmpeg

from edge.config import CameraConfig

PLAYLIST = "index.m3u8"
INIT = "init.mp4"
SEGMENT_PATTERN = "%06d.m4s"
RTSP_IO_TIMEOUT_US = 5_000_000


def ffmpeg_binary(configured: str | None) -> str:
    """The configured binary, else the imageio-ffmpeg wheel's, else ffmpeg on PATH."""
    if configured:
        return configured
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        found = shutil.which("ffmpeg")
        if not found:
            raise RuntimeError("no ffmpeg found: install imageio-ffmpeg or set `ffmpeg:` in the config") from None
        return found


def input_stream(camera: CameraConfig) -> ffmpeg.nodes.FilterableStream:
    """The video input of a camera. Only the synthetic source encodes; the others are copied."""
    if camera.kind == "rtsp":
        stream = ffmpeg.input(
            camera.credentialed_url(), rtsp_transport="tcp", timeout=RTSP_IO_TIMEOUT_US, fflags="+genpts"
        )
        return stream["v:0"]
    if camera.kind == "picamera":
        # Raw H.264 from the Pi's hardware encoder arrives on stdin; it carries no timestamps, so ffmpeg
        # stamps frames from the configured rate.
        return ffmpeg.input("pipe:0", f="h264", framerate=camera.fps, fflags="+genpts")["v:0"]
    source = f"{camera.lavfi_source()}=size={camera.width}x{camera.height}:rate={camera.fps}"
    return ffmpeg.input(source, f="lavfi", re=None)["v:0"]


def codec_args(camera: CameraConfig) -> dict[str, object]:
    if camera.kind != "synthetic":
        return {"c:v": "copy"}
    # The synthetic camera is the one source that must encode: lavfi yields raw frames. GOP = fps (1 s).
    return {
        "c:v": "libx264",
        "preset": "ultrafast",
        "tune": "zerolatency",
        "pix_fmt": "yuv420p",
        "g": camera.fps,
        "keyint_min": camera.fps,
        "sc_threshold": 0,
        "threads": 1,
    }


def build_command(camera: CameraConfig, binary: str) -> list[str]:
    """argv for one run; to be started with cwd = the run's spool directory."""
    out = ffmpeg.output(
        input_stream(camera),
        PLAYLIST,
        an=None,
        f="hls",
        hls_segment_type="fmp4",
        hls_time=camera.segment_seconds,
        hls_list_size=10,
        hls_flags="independent_segments+temp_file",
        hls_fmp4_init_filename=INIT,
        hls_segment_filename=SEGMENT_PATTERN,
        **codec_args(camera),
    )
    return [binary, "-hide_banner", "-nostdin", "-loglevel", "warning", *out.get_args()]


def spool_dir(data_dir: Path, camera_id: str, run_id: str) -> Path:
    return data_dir / "spool" / camera_id / run_id
