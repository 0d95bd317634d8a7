"""Which recorded segments a translation plays, read from the archive index (portal.models.archive).

Only segments of runs whose init segment arrived are playable. Live = the newest segments of the newest
playable run; archive = the segments from the requested moment on, across runs.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models.archive import ArchiveRun, ArchiveSegment

LIVE_WINDOW = 5  # segments in a live playlist


@dataclass(frozen=True)
class Piece:
    """One media segment with what a player needs to place and fetch it."""

    id: int
    run_pk: int
    seq: int
    start: datetime
    duration: float
    object_key: str
    init_key: str


def _query():  # noqa: ANN202 - SQLAlchemy Select
    return (
        select(ArchiveSegment, ArchiveRun.init_key)
        .join(ArchiveRun, ArchiveRun.id == ArchiveSegment.run_pk)
        .where(ArchiveRun.init_key != "")
    )


def _pieces(rows) -> list[Piece]:  # noqa: ANN001 - result rows
    return [
        Piece(s.id, s.run_pk, s.seq, s.start, s.duration, s.object_key, init_key) for s, init_key in rows
    ]


def live_pieces(db: Session, camera_id: str, count: int = LIVE_WINDOW) -> list[Piece]:
    newest = db.scalar(
        _query().where(ArchiveSegment.camera_id == camera_id).order_by(ArchiveSegment.start.desc()).limit(1)
    )
    if newest is None:
        return []
    rows = db.execute(
        _query()
        .where(ArchiveSegment.camera_id == camera_id, ArchiveSegment.run_pk == newest.run_pk)
        .order_by(ArchiveSegment.seq.desc())
        .limit(count)
    )
    return list(reversed(_pieces(rows)))


def archive_pieces(db: Session, camera_id: str, start: datetime, seconds: float) -> list[Piece]:
    """Segments overlapping [start, start + seconds), in time order."""
    rows = db.execute(
        _query()
        .where(
            ArchiveSegment.camera_id == camera_id,
            ArchiveSegment.end > start,
            ArchiveSegment.start < start + timedelta(seconds=seconds),
        )
        .order_by(ArchiveSegment.start, ArchiveSegment.seq)
    )
    return _pieces(rows)


def piece_by_id(db: Session, camera_id: str, segment_id: int) -> Piece | None:
    rows = db.execute(_query().where(ArchiveSegment.id == segment_id, ArchiveSegment.camera_id == camera_id))
    found = _pieces(rows)
    return found[0] if found else None


def init_key_of(db: Session, camera_id: str, run_pk: int) -> str | None:
    return db.scalar(
        select(ArchiveRun.init_key).where(
            ArchiveRun.id == run_pk, ArchiveRun.camera_id == camera_id, ArchiveRun.init_key != ""
        )
    )
