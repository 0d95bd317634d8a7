"""Writes to the archive index at ingest: runs, segments, recorded spans, per-camera state.

Every write path first upserts the camera's ``archive_cameras`` row (``lock_camera``): that takes the row
lock on PostgreSQL and the database write lock on SQLite, so one camera's writers (several portal workers,
parallel uploads) run one after another and the span bookkeeping never sees a stale picture.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, cast

from sqlalchemy import case, delete, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from cloud_sync.catalogue import Segment
from portal.models import ArchiveCamera, ArchiveRun, ArchiveSegment, ArchiveSpan, Camera

# Segments closer than this count as continuous (box durations are rounded to milliseconds).
SPAN_TOLERANCE = timedelta(milliseconds=500)

Outcome = Literal["created", "same", "conflict"]


class AlreadyIndexed(Exception):
    """record_segment found (run, seq) indexed: its transaction must be rolled back by whoever opened it (so the
    newest-segment note it wrote is not kept), then ``compare_indexed`` says "same" or "conflict"."""

    def __init__(self, run_pk: int, seq: int) -> None:
        super().__init__(f"segment {seq} of run {run_pk} is indexed already")
        self.run_pk, self.seq = run_pk, seq


def compare_indexed(db: Session, taken: AlreadyIndexed, sha256: str) -> Outcome:
    existing = db.scalar(
        select(ArchiveSegment.sha256).where(ArchiveSegment.run_pk == taken.run_pk, ArchiveSegment.seq == taken.seq)
    )
    return "same" if existing == sha256 else "conflict"


def dialect_insert(db: Session, table):
    """INSERT with ON CONFLICT support for both databases the portal runs on."""
    name = db.get_bind().dialect.name
    return (postgresql.insert if name == "postgresql" else sqlite.insert)(table)


def lock_camera(db: Session, camera_id: str, now: datetime) -> None:
    """Serialise this camera's index writers until the transaction ends (see module doc)."""
    stmt = dialect_insert(db, ArchiveCamera).values(camera_id=camera_id, last_upload_at=now)
    db.execute(stmt.on_conflict_do_update(index_elements=["camera_id"], set_={"last_upload_at": now}))


def get_or_create_run(db: Session, camera_id: str, run_id: str) -> ArchiveRun:
    run = db.scalar(select(ArchiveRun).where(ArchiveRun.camera_id == camera_id, ArchiveRun.run_id == run_id))
    if run is None:
        run = ArchiveRun(camera_id=camera_id, run_id=run_id)
        db.add(run)
        db.flush()
    return run


def find_run(db: Session, camera_id: str, run_id: str) -> ArchiveRun | None:
    return db.scalar(select(ArchiveRun).where(ArchiveRun.camera_id == camera_id, ArchiveRun.run_id == run_id))


def find_segment(db: Session, camera_id: str, run_id: str, seq: int) -> ArchiveSegment | None:
    return db.scalar(
        select(ArchiveSegment)
        .join(ArchiveRun, ArchiveRun.id == ArchiveSegment.run_pk)
        .where(ArchiveRun.camera_id == camera_id, ArchiveRun.run_id == run_id, ArchiveSegment.seq == seq)
    )


@dataclass(frozen=True, kw_only=True)
class SegmentInfo(Segment):
    """A segment received from a box (cloud_sync.catalogue.Segment) and the object key it is stored under."""

    object_key: str


def record_init(db: Session, camera_id: str, run_id: str, key: str, sha256: str, size: int, now: datetime) -> Outcome:
    """Attach an init segment to its run; a run that already had segments becomes playable now."""
    lock_camera(db, camera_id, now)
    run = get_or_create_run(db, camera_id, run_id)
    if run.init_sha256:
        return "same" if run.init_sha256 == sha256 else "conflict"
    run.init_key, run.init_sha256, run.init_bytes = key, sha256, size
    db.flush()
    for seg_start, seg_end in _run_stretches(db, run.id):
        add_span(db, camera_id, seg_start, seg_end)
    return "created"


def record_segment(
    db: Session, info: SegmentInfo, now: datetime, table_for: Callable[[str], bytes | None] | None = None
) -> Outcome:
    """Index a stored media segment; duplicates compare by checksum. ``table_for(init_key)`` encodes its sample
    table once the run's init is known (it is read under the camera lock, with the run).

    Every segment of every camera comes through here, so it costs as few round trips as the invariants allow
    (docs/scale.md): the camera lock and the newest-segment note are one upsert, the run and its init one
    select, the row one INSERT … ON CONFLICT DO NOTHING, the usual span extension one UPDATE. A segment indexed
    already (a retry racing the upload check) raises AlreadyIndexed: the caller rolls back and compares."""
    _lock_noting_latest(db, info, now)
    run = db.execute(
        select(ArchiveRun.id, ArchiveRun.init_key).where(
            ArchiveRun.camera_id == info.camera_id, ArchiveRun.run_id == info.run_id
        )
    ).first()
    run_pk, init_key = (run.id, run.init_key) if run else (get_or_create_run(db, info.camera_id, info.run_id).id, "")
    table = table_for(init_key) if table_for is not None and init_key else None
    inserted = db.scalar(
        dialect_insert(db, ArchiveSegment)
        .values(
            camera_id=info.camera_id,
            run_pk=run_pk,
            seq=info.seq,
            start=info.start,
            end=info.end,
            duration=info.duration,
            bytes=info.size,
            object_key=info.object_key,
            sha256=info.sha256,
            clock_synced=info.clock_synced,
            created_at=now,
            sample_table=table,
        )
        .on_conflict_do_nothing(index_elements=["run_pk", "seq"])
        .returning(ArchiveSegment.id)
    )
    if inserted is None:
        raise AlreadyIndexed(run_pk, info.seq)  # nothing of this upload may be kept, not even the note above
    if init_key and not _extend_span(db, info.camera_id, info.start, info.end):
        add_span(db, info.camera_id, info.start, info.end)
    if info.end > now - timedelta(minutes=1):
        db.execute(
            update(Camera)
            .where(Camera.id == info.camera_id, Camera.state != "recording")
            .values(state="recording")
            .execution_options(synchronize_session=False)
        )
    return "created"


def _lock_noting_latest(db: Session, info: SegmentInfo, now: datetime) -> None:
    """lock_camera, also keeping the newest segment's times (live view, "online") in the same statement."""
    table = ArchiveCamera.__table__.c
    newer = or_(table.last_segment_end.is_(None), table.last_segment_end < info.end)
    stmt = dialect_insert(db, ArchiveCamera).values(
        camera_id=info.camera_id, last_upload_at=now, last_segment_start=info.start, last_segment_end=info.end
    )
    db.execute(
        stmt.on_conflict_do_update(
            index_elements=["camera_id"],
            set_={
                "last_upload_at": now,
                "last_segment_start": case((newer, stmt.excluded.last_segment_start), else_=table.last_segment_start),
                "last_segment_end": case((newer, stmt.excluded.last_segment_end), else_=table.last_segment_end),
            },
        )
    )


def _touching(camera_id: str, start: datetime, end: datetime) -> tuple[ColumnElement[bool], ...]:
    """The camera's spans that [start, end) touches or overlaps (within SPAN_TOLERANCE)."""
    return (
        ArchiveSpan.camera_id == camera_id,
        ArchiveSpan.start <= end + SPAN_TOLERANCE,
        ArchiveSpan.end >= start - SPAN_TOLERANCE,
    )


def _extend_span(db: Session, camera_id: str, start: datetime, end: datetime) -> bool:
    """The common case of add_span in one statement: exactly one span touches [start, end) and it is widened
    to cover it. False (nothing changed) when none or several touch: add_span merges those."""
    only = (
        select(func.min(ArchiveSpan.id))
        .where(*_touching(camera_id, start, end))
        .having(func.count() == 1)
        .scalar_subquery()
    )
    widened = db.execute(
        update(ArchiveSpan)
        .where(ArchiveSpan.id == only)
        .values(
            # Typed literals: an untyped datetime would be bound in the driver's format, not the column's.
            start=case((ArchiveSpan.start > start, literal(start, ArchiveSpan.start.type)), else_=ArchiveSpan.start),
            end=case((ArchiveSpan.end < end, literal(end, ArchiveSpan.end.type)), else_=ArchiveSpan.end),
        )
        .execution_options(synchronize_session=False)
    )
    return bool(cast(CursorResult, widened).rowcount)


def add_span(db: Session, camera_id: str, start: datetime, end: datetime) -> None:
    """Merge [start, end) into the camera's recorded spans (joins neighbours it touches or overlaps)."""
    touching = list(db.scalars(select(ArchiveSpan).where(*_touching(camera_id, start, end))))
    if len(touching) == 1 and touching[0].start <= start and touching[0].end >= end:
        return
    new_start = min([start, *(s.start for s in touching)])
    new_end = max([end, *(s.end for s in touching)])
    if touching:
        keep, rest = touching[0], touching[1:]
        keep.start, keep.end = new_start, new_end
        if rest:
            db.execute(delete(ArchiveSpan).where(ArchiveSpan.id.in_([s.id for s in rest])))
    else:
        db.add(ArchiveSpan(camera_id=camera_id, start=new_start, end=new_end))
    db.flush()


def _run_stretches(db: Session, run_pk: int) -> list[tuple[datetime, datetime]]:
    """The run's segments merged into continuous stretches (used when a late init makes them playable)."""
    rows = db.execute(
        select(ArchiveSegment.start, ArchiveSegment.end)
        .where(ArchiveSegment.run_pk == run_pk)
        .order_by(ArchiveSegment.start)
    ).all()
    stretches: list[tuple[datetime, datetime]] = []
    for start, end in rows:
        if stretches and start <= stretches[-1][1] + SPAN_TOLERANCE:
            stretches[-1] = (stretches[-1][0], max(end, stretches[-1][1]))
        else:
            stretches.append((start, end))
    return stretches
