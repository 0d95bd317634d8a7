"""Motion events live as long as the camera's video: removed past `cameras.retention_days`, with the archive's
sweep interval (`retention_sweep_seconds`)."""

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from portal.db import Database
from portal.models import Camera
from portal.models.motion import MotionEvent
from portal.periodic import start_periodic

log = logging.getLogger(__name__)


def prune(db: Database, now: datetime | None = None) -> int:
    """Delete events that started before their camera's retention cutoff; how many went."""
    now = now or datetime.now(UTC)
    removed = 0
    with db.session() as session:
        cameras = session.execute(select(Camera.id, Camera.retention_days)).all()
    for camera_id, days in cameras:
        with db.session() as session:
            cutoff = now - timedelta(days=days)
            result = session.execute(
                delete(MotionEvent).where(MotionEvent.camera_id == camera_id, MotionEvent.start < cutoff)
            )
            removed += result.rowcount or 0  # type: ignore[attr-defined]
    return removed


def start_pruning(services):  # (Services) -> asyncio.Task | None
    return start_periodic(
        "motion retention", services.settings.retention_sweep_seconds, lambda: prune(services.db), log=log
    )
