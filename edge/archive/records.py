"""What the catalogue hands out: immutable records of segments, runs, gaps and run anchors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cloud_sync.catalogue import StoredSegment


@dataclass(frozen=True, kw_only=True)
class SegmentRecord(StoredSegment):
    """A catalogued segment (cloud_sync.catalogue.Segment: the fields and the end both sides share)."""

    uploaded: bool


@dataclass(frozen=True)
class RunRecord:
    camera_id: str
    run_id: str
    start: datetime
    end: datetime | None
    end_reason: str | None
    init_path: Path
    init_uploaded: bool
    init_size: int = 0
    init_sha256: str = ""


@dataclass(frozen=True)
class RunAnchor:
    """How a run's media time maps to wall time: wall = anchor_ms + (decode_time - media_origin) / timescale."""

    anchor_ms: int
    media_origin: int
    timescale: int

    def wall_ms(self, decode_time: int) -> int:
        return self.anchor_ms + round((decode_time - self.media_origin) * 1000 / self.timescale)


@dataclass(frozen=True)
class GapRecord:
    id: int
    camera_id: str
    start: datetime
    end: datetime
    reason: str
    reported: bool
