"""Where archive files live: {data_dir}/archive/{camera}/{YYYY-MM-DD}/{HH}/ (UTC hour of the start).

Media segment: `{run_id}-{seq:06d}.m4s` in the hour of its start.
Init segment:  `{run_id}.init.mp4` in the hour the run id names (the moment ffmpeg was launched).
Every path is derived from catalogue fields, so the catalogue stores no paths.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

SEGMENT_RE = re.compile(r"^(?P<run>\d{8}T\d{6}Z-[0-9a-f]{6})-(?P<seq>\d{6,})\.m4s$")
INIT_RE = re.compile(r"^(?P<run>\d{8}T\d{6}Z-[0-9a-f]{6})\.init\.mp4$")
HOUR_MS = 3_600_000


def hour_dir(archive_root: Path, camera_id: str, when_ms: int) -> Path:
    moment = datetime.fromtimestamp(when_ms / 1000, UTC)
    return archive_root / camera_id / f"{moment:%Y-%m-%d}" / f"{moment:%H}"


def segment_path(archive_root: Path, camera_id: str, run_id: str, seq: int, start_ms: int) -> Path:
    return hour_dir(archive_root, camera_id, start_ms) / f"{run_id}-{seq:06d}.m4s"


def run_start_ms(run_id: str) -> int:
    """The launch second a run id names."""
    return int(datetime.strptime(run_id[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp() * 1000)


def init_path(archive_root: Path, camera_id: str, run_id: str) -> Path:
    return hour_dir(archive_root, camera_id, run_start_ms(run_id)) / f"{run_id}.init.mp4"


def hour_of(path_dir: Path) -> int | None:
    """Start (ms) of the hour an `{YYYY-MM-DD}/{HH}` directory stands for, None if it is not one."""
    try:
        moment = datetime.strptime(f"{path_dir.parent.name} {path_dir.name}", "%Y-%m-%d %H").replace(tzinfo=UTC)
    except ValueError:
        return None
    return int(moment.timestamp() * 1000)


def to_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("time must carry a zone (UTC)")
    return round(moment.timestamp() * 1000)


def from_ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, UTC)
