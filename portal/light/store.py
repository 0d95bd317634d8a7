"""The relayed light segments: a small, bounded store in the database (every portal worker serves what another
one received), about a minute per camera. Never archive: nothing here reaches the archive's index or objects."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.models.light import LightSegment

MAX_PER_CAMERA = 120  # whatever a box sends, one camera holds at most this many (about 2 minutes of 1 s ones)


@dataclass(frozen=True)
class LightRef:
    id: int
    run_id: str
    seq: int
    duration: float
    received_at: datetime


def store_segment(
    db: Session, camera_id: str, run_id: str, seq: int, duration: float, data: bytes, now: datetime
) -> str:
    """created | same (a retry of the same bytes) | conflict (that key with other bytes)."""
    existing = db.scalar(
        select(LightSegment).where(
            LightSegment.camera_id == camera_id, LightSegment.run_id == run_id, LightSegment.seq == seq
        )
    )
    if existing is not None:
        return "same" if existing.data == data else "conflict"
    try:
        with db.begin_nested():
            db.add(
                LightSegment(
                    camera_id=camera_id,
                    run_id=run_id,
                    seq=seq,
                    duration=duration,
                    size=len(data),
                    data=data,
                    received_at=now,
                )
            )
    except IntegrityError:  # the same key from a concurrent request
        return "same"
    _bound(db, camera_id)
    return "created"


def _bound(db: Session, camera_id: str) -> None:
    cutoff = db.scalar(
        select(LightSegment.id)
        .where(LightSegment.camera_id == camera_id)
        .order_by(LightSegment.id.desc())
        .offset(MAX_PER_CAMERA)
        .limit(1)
    )
    if cutoff is not None:
        db.execute(delete(LightSegment).where(LightSegment.camera_id == camera_id, LightSegment.id <= cutoff))


def newest(db: Session, camera_id: str, since: datetime, count: int) -> list[LightRef]:
    """The newest run's last `count` segments received after `since`, oldest first."""
    rows = db.execute(
        select(LightSegment.id, LightSegment.run_id, LightSegment.seq, LightSegment.duration, LightSegment.received_at)
        .where(LightSegment.camera_id == camera_id, LightSegment.received_at >= since)
        .order_by(LightSegment.id.desc())
        .limit(count)
    ).all()
    if not rows:
        return []
    run = rows[0].run_id
    refs = [LightRef(r.id, r.run_id, r.seq, r.duration, r.received_at) for r in rows if r.run_id == run]
    return sorted(refs, key=lambda r: r.seq)


def segment_data(db: Session, camera_id: str, segment_id: int, since: datetime) -> bytes | None:
    row = db.get(LightSegment, segment_id)
    if row is None or row.camera_id != camera_id or row.received_at < since:
        return None
    return row.data


def prune(db: Session, keep: timedelta, now: datetime) -> int:
    result = db.execute(delete(LightSegment).where(LightSegment.received_at < now - keep))
    return result.rowcount or 0  # type: ignore[attr-defined]
