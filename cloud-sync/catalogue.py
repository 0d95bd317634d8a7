"""What the uploader needs from the box's archive catalogue, as protocols (cloud_sync never imports edge).

``edge.archive.catalogue.Catalogue`` satisfies :class:`UploadCatalogue`; edge/sync.py passes it in.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True, kw_only=True)
class Segment:
    """One media segment as both sides record it: identity, placement in wall time, content.

    The box's catalogue record (edge.archive.records.SegmentRecord) and the portal's ingest record
    (portal.archive.index.SegmentInfo) extend it; ``start`` is UTC at millisecond precision, ``duration``
    comes from media timestamps, ``clock_synced`` says whether the box clock was synchronised (docs/time.md).
    """

    camera_id: str
    run_id: str
    seq: int
    start: datetime
    duration: float
    size: int
    sha256: str
    clock_synced: bool

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.duration)


@dataclass(frozen=True, kw_only=True)
class StoredSegment(Segment):
    """A segment the box holds: its catalogue row and its file (what the uploader sends)."""

    id: int
    path: Path


SegmentLike = StoredSegment  # the name the uploader and the ingest client use


class RunLike(Protocol):
    # Read-only (properties): the box's records are frozen dataclasses.
    @property
    def camera_id(self) -> str: ...
    @property
    def run_id(self) -> str: ...
    @property
    def init_path(self) -> Path: ...


class GapLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def camera_id(self) -> str: ...
    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime: ...
    @property
    def reason(self) -> str: ...


class UploadCatalogue(Protocol):
    def pending_uploads(
        self,
        limit: int = 100,
        camera_id: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> Sequence[StoredSegment]: ...

    def mark_uploaded(self, ids: list[int]) -> None: ...

    def runs_pending_init(self, camera_id: str | None = None) -> Sequence[RunLike]: ...

    def mark_init_uploaded(self, camera_id: str, run_id: str) -> None: ...

    def unreported_gaps(self, limit: int) -> Sequence[GapLike]: ...

    def mark_gaps_reported(self, ids: list[int]) -> None: ...

    def backlog(self) -> dict[str, tuple[int, int]]: ...

    def holdings(self, camera_id: str) -> list[tuple[datetime, datetime]]: ...
