"""Tiny real video for archive tests: one hour of 160x120 testsrc at 5 fps, GOP 1 s, as HLS fMP4 6 s segments.

Encoded once per session by ffmpeg (libx264 ultrafast, a few seconds of CPU); tests take prefixes of it.
Every run a box records starts its decode times at zero, so reusing segments 0..n for each run is what a
real run looks like.
"""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass
from pathlib import Path

SEGMENT_SECONDS = 6
FPS = 5


@dataclass
class Media:
    init: bytes
    segments: list[bytes]
    durations: list[float]

    def sha(self, index: int) -> str:
        return hashlib.sha256(self.segments[index]).hexdigest()


def encode(workdir: Path, seconds: int = 3600) -> Media:
    workdir.mkdir(parents=True, exist_ok=True)
    playlist = workdir / "out.m3u8"
    if not playlist.exists():
        subprocess.run(
            [
                "ffmpeg",
                "-hide_banner",
                "-loglevel",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                f"testsrc=size=160x120:rate={FPS}",
                "-t",
                str(seconds),
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-tune",
                "zerolatency",
                "-g",
                str(FPS),
                "-keyint_min",
                str(FPS),
                "-sc_threshold",
                "0",
                "-pix_fmt",
                "yuv420p",
                "-f",
                "hls",
                "-hls_time",
                str(SEGMENT_SECONDS),
                "-hls_segment_type",
                "fmp4",
                "-hls_playlist_type",
                "vod",
                "-hls_fmp4_init_filename",
                "init.mp4",
                "-hls_segment_filename",
                str(workdir / "seg%05d.m4s"),
                str(playlist),
            ],
            check=True,
            timeout=300,
        )
    durations, names = [], []
    for line in playlist.read_text().splitlines():
        if line.startswith("#EXTINF:"):
            durations.append(float(line[8:].rstrip(",")))
        elif line and not line.startswith("#"):
            names.append(line)
    segments = [(workdir / name).read_bytes() for name in names]
    return Media((workdir / "init.mp4").read_bytes(), segments, durations)
