"""Scripted clips for motion tests and the benchmark: a static scene (SMPTE bars + sensor noise), H.264 by ffmpeg.

Times are seconds from the clip's start. Boxes move in straight lines while scripted; a lighting change is a
brightness + contrast step for the rest of the clip (a lamp switched on).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from edge.recorder.command import ffmpeg_binary

WIDTH, HEIGHT = 320, 180


@dataclass(frozen=True)
class Move:
    start: float
    end: float
    x: int  # start position (px) ...
    y: int
    dx: float  # ... and speed (px/s)
    size: int = 36
    color: str = "black"  # against SMPTE bars: black shows on the bright left bars, white on the dark right ones


@dataclass
class Script:
    seconds: float
    moves: list[Move] = field(default_factory=list)
    lighting_at: float | None = None
    fps: int = 10


def _filters(script: Script) -> str:
    """A filter graph over input 0 (the scene); each box is a black square overlaid at a per-frame x."""
    graph, last = [], "0:v"
    for i, m in enumerate(script.moves):
        graph.append(f"color={m.color}:size={m.size}x{m.size}:rate={script.fps}[b{i}]")
        graph.append(
            f"[{last}][b{i}]overlay=x='{m.x}+{m.dx}*(t-{m.start})':y={m.y}:eval=frame:shortest=1"
            f":enable='between(t,{m.start},{m.end})'[v{i}]"
        )
        last = f"v{i}"
    tail = []
    if script.lighting_at is not None:
        tail.append(f"eq=brightness=0.15:contrast=1.2:enable='gte(t,{script.lighting_at})'")
    tail += ["noise=alls=8:allf=t", "format=yuv420p"]
    graph.append(f"[{last}]" + ",".join(tail) + "[out]")
    return ";".join(graph)


def make_clip(path: Path, script: Script) -> Path:
    """Encode the script to an MP4 (1 s GOP, like the simulator cameras) at `path`."""
    argv = [
        ffmpeg_binary(None),
        "-nostdin",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        f"smptebars=size={WIDTH}x{HEIGHT}:rate={script.fps}",
        "-filter_complex",
        _filters(script),
        "-map",
        "[out]",
        "-t",
        str(script.seconds),
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-g",
        str(script.fps),
        "-threads",
        "1",
        str(path),
    ]
    subprocess.run(argv, check=True, capture_output=True, timeout=300)
    return path
