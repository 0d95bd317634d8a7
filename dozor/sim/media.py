"""Small real segments for simulated cameras: one ffmpeg run encodes a short fMP4 (CMAF) clip once; every
simulated camera uploads those same bytes as its init and segments (the portal indexes them per camera, run
and sequence number, so each upload is a distinct archive segment). No ffmpeg per simulated camera."""

import hashlib
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from dozor.errors import UserError

CLIP_SEGMENTS = 4


@dataclass(frozen=True)
class Clip:
    init: Path
    segments: tuple[Path, ...]
    sha256: tuple[str, ...]

    @property
    def sizes(self) -> tuple[int, ...]:
        return tuple(p.stat().st_size for p in self.segments)


def make_clip(folder: Path, segment_seconds: float = 6.0) -> Clip:
    """Encode (or reuse) a 160x90, 1 fps H.264 clip cut in ``CLIP_SEGMENTS`` fMP4 segments of segment_seconds."""
    folder.mkdir(parents=True, exist_ok=True)
    seconds = int(segment_seconds * CLIP_SEGMENTS)
    playlist = folder / f"clip-{seconds}.m3u8"
    if not playlist.exists():
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg is None:
            raise UserError("dozor sim needs ffmpeg once to encode its small test clip (apt install ffmpeg)")
        gop = max(1, int(segment_seconds))
        # fmt: off
        cmd = [
            ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc=size=160x90:rate=1:duration={seconds}",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", str(gop), "-keyint_min", str(gop),
            "-sc_threshold", "0", "-pix_fmt", "yuv420p",
            "-f", "hls", "-hls_time", str(segment_seconds), "-hls_segment_type", "fmp4", "-hls_list_size", "0",
            "-hls_fmp4_init_filename", f"init-{seconds}.mp4",
            "-hls_segment_filename", str(folder / f"seg-{seconds}-%d.m4s"), str(playlist),
        ]
        # fmt: on
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    segments = tuple(sorted(folder.glob(f"seg-{seconds}-*.m4s"), key=lambda p: int(p.stem.rsplit("-", 1)[1])))
    if not segments:
        raise UserError(f"ffmpeg wrote no segments into {folder}")
    return Clip(
        init=folder / f"init-{seconds}.mp4",
        segments=segments,
        sha256=tuple(hashlib.sha256(p.read_bytes()).hexdigest() for p in segments),
    )
