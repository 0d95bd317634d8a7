"""Reading the segment index: which media segments (with their run's init) a range, the live edge or one id is.

Shared by clips, HLS playlists, snapshots and other domains (Forpost translations), so every reader applies
the same rule: only segments of runs whose init segment arrived are playable.
"""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session

from portal.models import ArchiveRun, ArchiveSegment

MAX_SEGMENT_SECONDS = 60  # longest media segment accepted at ingest: widens range queries on start
LIVE_WINDOW = 4  # segments in the live playlist
PAGE = timedelta(hours=1)  # of a stream's range per query (paged_in_range): 600 refs of 6 s segments
Sessions = Callable[[], AbstractContextManager[Session]]  # a unit of work per call: portal.db.Database.session


@dataclass(frozen=True)
class SegmentRef:
    id: int
    run_pk: int
    run_id: str
    seq: int
    start: datetime
    end: datetime
    duration: float
    object_key: str
    init_key: str
    size: int = 0  # bytes of the stored object


def _refs(playable_only: bool = True) -> Select:
    query = select(
        ArchiveSegment.id,
        ArchiveSegment.run_pk,
        ArchiveRun.run_id,
        ArchiveSegment.seq,
        ArchiveSegment.start,
        ArchiveSegment.end,
        ArchiveSegment.duration,
        ArchiveSegment.object_key,
        ArchiveRun.init_key,
        ArchiveSegment.bytes,
    ).join(ArchiveRun, ArchiveRun.id == ArchiveSegment.run_pk)
    return query.where(ArchiveRun.init_key != "") if playable_only else query


def in_range(query: Select, camera_id: str, start: datetime, end: datetime) -> Select:
    """``query`` (of ArchiveSegment columns) narrowed to the camera's segments overlapping [start, end), in time
    order."""
    return query.where(
        ArchiveSegment.camera_id == camera_id,
        ArchiveSegment.start >= start - timedelta(seconds=MAX_SEGMENT_SECONDS),  # keeps the index range tight
        ArchiveSegment.start < end,
        ArchiveSegment.end > start,
    ).order_by(ArchiveSegment.start, ArchiveSegment.seq)


def segments_in_range(
    db: Session, camera_id: str, start: datetime, end: datetime, playable_only: bool = True
) -> list[SegmentRef]:
    """Media segments overlapping [start, end) in time order (of runs whose init arrived, by default)."""
    return [SegmentRef(*row) for row in db.execute(in_range(_refs(playable_only), camera_id, start, end))]


def paged_in_range(
    sessions: Sessions,
    camera_id: str,
    start: datetime,
    end: datetime,
    page: timedelta | None = None,
) -> Iterator[SegmentRef]:
    """``segments_in_range`` (playable) taken an hour of the range at a time as the consumer asks, each page one
    query in a session of its own: a stream of any length (a month is 432,000 segments, ~290 MB of refs by the
    72-hour figure in docs/archive.md) holds one page, and its first byte waits for the first page only. Each
    segment comes once: from the page its start is in (the first page also gives the one running at ``start``).
    An empty page jumps to the next recorded segment, so a month with a week of video costs a week of pages."""
    step = page or PAGE
    lo = start
    while lo < end:
        hi = min(lo + step, end)
        with sessions() as db:
            refs = segments_in_range(db, camera_id, lo, hi)
            after = first_segment_in(db, camera_id, hi, end) if not refs and hi < end else None
        yield from (ref for ref in refs if lo == start or ref.start >= lo)
        if refs:
            lo = hi
        elif after is not None:
            lo = after.start  # nothing overlaps [lo, hi): the next segment starts at or after hi
        else:
            return


def segments_and_tables_in_range(
    db: Session, camera_id: str, start: datetime, end: datetime
) -> tuple[list[SegmentRef], dict[int, bytes | None]]:
    """``segments_in_range`` (playable) and each segment's encoded sample table, in one query: a download's
    layout needs both, and a second query binding 600 ids cost the first byte of an hour ~6 ms on PostgreSQL."""
    refs, blobs = [], {}
    for *row, blob in db.execute(in_range(_refs().add_columns(ArchiveSegment.sample_table), camera_id, start, end)):
        ref = SegmentRef(*row)
        refs.append(ref)
        blobs[ref.id] = blob
    return refs, blobs


def newest_segments(db: Session, camera_id: str, count: int = LIVE_WINDOW) -> list[SegmentRef]:
    """The newest ``count`` segments of the camera's newest playable run, oldest first (one query)."""
    newest = (
        select(ArchiveSegment.run_pk, ArchiveSegment.seq)
        .join(ArchiveRun, ArchiveRun.id == ArchiveSegment.run_pk)
        .where(ArchiveSegment.camera_id == camera_id, ArchiveRun.init_key != "")
        .order_by(ArchiveSegment.start.desc())
        .limit(1)
        .subquery()
    )
    query = (
        _refs()
        .join(newest, and_(ArchiveSegment.run_pk == newest.c.run_pk, ArchiveSegment.seq <= newest.c.seq))
        .order_by(ArchiveSegment.seq.desc())
        .limit(count)
    )
    return sorted((SegmentRef(*row) for row in db.execute(query)), key=lambda s: s.seq)


def segment_by_id(db: Session, camera_id: str, segment_id: int, playable_only: bool = True) -> SegmentRef | None:
    """One segment, looked up together with the authorised camera: another camera's id is not found."""
    row = db.execute(
        _refs(playable_only).where(ArchiveSegment.id == segment_id, ArchiveSegment.camera_id == camera_id)
    ).first()
    return SegmentRef(*row) if row else None


def init_key_of(db: Session, camera_id: str, run_pk: int) -> str | None:
    """The run's init object key; None for another camera's run or a run whose init has not arrived."""
    key = db.scalar(select(ArchiveRun.init_key).where(ArchiveRun.id == run_pk, ArchiveRun.camera_id == camera_id))
    return key or None


def first_segment_in(db: Session, camera_id: str, start: datetime, end: datetime) -> SegmentRef | None:
    """The earliest playable segment overlapping [start, end) (one index lookup: timeline thumbnails)."""
    row = db.execute(
        _refs()
        .where(
            ArchiveSegment.camera_id == camera_id,
            ArchiveSegment.start >= start - timedelta(seconds=MAX_SEGMENT_SECONDS),
            ArchiveSegment.start < end,
            ArchiveSegment.end > start,
        )
        .order_by(ArchiveSegment.start, ArchiveSegment.seq)
        .limit(1)
    ).first()
    return SegmentRef(*row) if row else None
