"""`event/motion` messages -> motion_events rows. Start and end of one event (and redeliveries) meet on
(device, motion id); any order works, so a backlog drained after an outage lands as it comes."""

import base64
import binascii
import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloud_sync.messages import Event
from portal.models import Camera
from portal.models.motion import MotionEvent

log = logging.getLogger(__name__)
MAX_THUMBNAIL = 256 * 1024


def _time(data: dict, key: str) -> datetime | None:
    value = data.get(key)
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _thumbnail(data: dict) -> bytes | None:
    raw = data.get("thumbnail_jpeg_base64")
    if not raw:
        return None
    try:
        jpeg = base64.b64decode(str(raw), validate=True)
    except (binascii.Error, ValueError):
        return None
    return jpeg if len(jpeg) <= MAX_THUMBNAIL and jpeg[:2] == b"\xff\xd8" else None


def apply_motion(db: Session, device_id: str, event: Event, received_at: datetime) -> bool:
    """Store one motion message; True when it told the portal something new (a new event, or its end)."""
    data = event.data
    motion_id, start = str(data.get("motion_id") or ""), _time(data, "start")
    camera = db.get(Camera, event.camera_id) if event.camera_id else None
    if not motion_id or len(motion_id) > 64 or start is None or camera is None or camera.device_id != device_id:
        log.warning("motion message %s from %s dropped: bad motion_id/start or not its camera", event.id, device_id)
        return False
    end = _time(data, "end")
    row = db.scalar(select(MotionEvent).where(MotionEvent.device_id == device_id, MotionEvent.motion_id == motion_id))
    if row is None:
        try:
            with db.begin_nested():
                db.add(
                    MotionEvent(
                        device_id=device_id,
                        camera_id=camera.id,
                        motion_id=motion_id,
                        start=start,
                        end=end if end is not None and end >= start else None,
                        peak_area=float(data.get("peak_area") or 0.0),
                        thumbnail=_thumbnail(data),
                        received_at=received_at,
                    )
                )
        except IntegrityError:
            return False  # another worker stored it first; its message will fill in the rest
        return True
    changed = False
    if end is not None and row.end is None and end >= row.start:
        row.end, changed = end, True
        row.peak_area = max(row.peak_area, float(data.get("peak_area") or 0.0))
    if row.thumbnail is None and (thumb := _thumbnail(data)) is not None:
        row.thumbnail, changed = thumb, True
    return changed
