"""Reading motion events: a camera's events in a window (JSON API), and for Forpost GetEvents."""

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from portal.models.motion import MotionEvent

MAX_EVENTS = 5000


def events_between(
    db: Session, camera_id: str, lo: datetime, hi: datetime, kind: str | None = None, limit: int = MAX_EVENTS
) -> list[MotionEvent]:
    """Events overlapping [lo, hi), oldest first; an event still going on counts from its start."""
    query = (
        select(MotionEvent)
        .where(
            MotionEvent.camera_id == camera_id,
            MotionEvent.start < hi,
            or_(MotionEvent.end.is_(None), MotionEvent.end >= lo),
        )
        .order_by(MotionEvent.start, MotionEvent.id)
        .limit(limit)
    )
    if kind is not None:
        query = query.where(MotionEvent.kind == kind)
    return list(db.scalars(query))


def event_of_camera(db: Session, camera_id: str, event_id: int) -> MotionEvent | None:
    row = db.get(MotionEvent, event_id)
    return row if row is not None and row.camera_id == camera_id else None


def latest_start(db: Session, camera_id: str, before: datetime, excluding: int | None = None) -> datetime | None:
    query = select(func.max(MotionEvent.start)).where(MotionEvent.camera_id == camera_id, MotionEvent.start < before)
    if excluding is not None:
        query = query.where(MotionEvent.id != excluding)
    return db.scalar(query)
