"""Reading a run's spool directory: which media segments has ffmpeg finished?"""

from __future__ import annotations

import re
from pathlib import Path

from edge.recorder.command import PLAYLIST

_SEGMENT_NAME = re.compile(r"^(\d{6,})\.m4s$")


def listed_segments(spool: Path) -> list[int]:
    """Sequence numbers the playlist lists (a listed segment is complete)."""
    try:
        text = (spool / PLAYLIST).read_text(errors="replace")
    except OSError:
        return []
    found = []
    for line in text.splitlines():
        match = _SEGMENT_NAME.match(line.strip())
        if match:
            found.append(int(match.group(1)))
    return found


def segment_files(spool: Path) -> list[int]:
    """Sequence numbers with a complete file (temp_file: in-flight bytes live under a .tmp name)."""
    found = []
    try:
        entries = list(spool.iterdir())
    except OSError:
        return []
    for entry in entries:
        match = _SEGMENT_NAME.match(entry.name)
        if match:
            found.append(int(match.group(1)))
    return sorted(found)


def finished_segments(spool: Path, ffmpeg_done: bool) -> list[int]:
    """Segments ready to commit, in order.

    While ffmpeg runs we trust the playlist: anything at or below its highest listed number is finished
    (older entries roll off the list). Once ffmpeg is gone every complete-named file is finished.
    """
    files = segment_files(spool)
    if ffmpeg_done:
        return files
    listed = listed_segments(spool)
    if not listed:
        return []
    newest = max(listed)
    return [seq for seq in files if seq <= newest]


def segment_file(spool: Path, seq: int) -> Path:
    return spool / f"{seq:06d}.m4s"
