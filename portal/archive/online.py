"""Whether a camera is online: one rule for the JSON API, the cabinet pages and the Forpost API.

A camera is online when its box reports it up over MQTT (``Camera.online``: box online, camera not down),
or when a segment of it ended in the last ``RECENT`` (video is arriving, whatever the MQTT link says; a
box can upload over HTTP while its broker connection is down, or on a portal without a broker).
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import ArchiveCamera, Camera, utcnow

RECENT = timedelta(seconds=30)  # a segment this fresh means the camera is sending video


def last_segment_ends(db: Session, camera_ids: Iterable[str]) -> dict[str, datetime]:
    """End of the newest segment the portal holds, per camera (cameras with none are absent)."""
    rows = db.execute(
        select(ArchiveCamera.camera_id, ArchiveCamera.last_segment_end).where(
            ArchiveCamera.camera_id.in_(list(camera_ids))
        )
    ).all()
    return {camera_id: end for camera_id, end in rows if end is not None}


def is_online(camera: Camera, last_segment_end: datetime | None, now: datetime) -> bool:
    return camera.online or (last_segment_end is not None and last_segment_end > now - RECENT)


def online_ids(db: Session, cameras: list[Camera], now: datetime | None = None) -> set[str]:
    now = now or utcnow()
    latest = last_segment_ends(db, [c.id for c in cameras])
    return {c.id for c in cameras if is_online(c, latest.get(c.id), now)}
