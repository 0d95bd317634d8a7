"""Writes to the archive index at ingest: runs, segments, recorded spans, per-camera state.

Every write path first upserts the camera's ``archive_cameras`` row (``lock_camera``): that takes the row
lock on PostgreSQL and the database write lock on SQLite, so one camera's writers (several portal workers,
parallel uploads) run one after another and the span bookkeeping never sees a stale picture.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cloud_sync.catalogue import Segment
from portal.models import ArchiveCamera, ArchiveRun, ArchiveSegment, ArchiveSpan, Camera

# Segments closer than this count as continuous (box durations are rounded to milliseconds).
SPAN_TOLERANCE = timedelta(milliseconds=500)

Outcome = Literal["created", "same", "conflict"]


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


def record_segment(db: Session, info: SegmentInfo, now: datetime, sample_table: bytes | None = None) -> Outcome:
    """Index a stored media segment (with its encoded sample table, if known); duplicates compare by checksum."""
    lock_camera(db, info.camera_id, now)
    run = get_or_create_run(db, info.camera_id, info.run_id)
    existing = db.scalar(select(ArchiveSegment).where(ArchiveSegment.run_pk == run.id, ArchiveSegment.seq == info.seq))
    if existing is not None:
        return "same" if existing.sha256 == info.sha256 else "conflict"
    db.add(
        ArchiveSegment(
            camera_id=info.camera_id,
            run_pk=run.id,
            seq=info.seq,
            start=info.start,
            end=info.end,
            duration=info.duration,
            bytes=info.size,
            object_key=info.object_key,
            sha256=info.sha256,
            clock_synced=info.clock_synced,
            created_at=now,
            sample_table=sample_table,
        )
    )
    if run.complete:
        add_span(db, info.camera_id, info.start, info.end)
    _note_latest(db, info, now)
    return "created"


def _note_latest(db: Session, info: SegmentInfo, now: datetime) -> None:
    """Keep the newest segment time (live view, "online") and mark the camera as recording."""
    state = db.get(ArchiveCamera, info.camera_id)
    if state is not None and (state.last_segment_end is None or info.end > state.last_segment_end):
        state.last_segment_start, state.last_segment_end = info.start, info.end
        camera = db.get(Camera, info.camera_id)
        if camera is not None and camera.state != "recording" and info.end > now - timedelta(minutes=1):
            camera.state = "recording"


def add_span(db: Session, camera_id: str, start: datetime, end: datetime) -> None:
    """Merge [start, end) into the camera's recorded spans (joins neighbours it touches or overlaps)."""
    touching = list(
        db.scalars(
            select(ArchiveSpan).where(
                ArchiveSpan.camera_id == camera_id,
                ArchiveSpan.start <= end + SPAN_TOLERANCE,
                ArchiveSpan.end >= start - SPAN_TOLERANCE,
            )
        )
    )
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
