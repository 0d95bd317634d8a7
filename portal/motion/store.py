"""A box's motion report (cloud_sync/motion.py) -> its motion_events row. The start and the end of one event
(and retries) meet on (device, motion id); any order works, so a backlog drained after an outage lands as it
comes."""

import base64
import binascii
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloud_sync.motion import MotionReport
from portal.models import Camera, utcnow
from portal.models.motion import MotionEvent


class BadThumbnail(ValueError):
    """thumbnail_jpeg_base64 is not base64 of a JPEG."""


@dataclass(frozen=True)
class Stored:
    event: MotionEvent
    created: bool  # first report of this event (its start is news)


def _thumbnail(raw: str | None) -> bytes | None:
    if not raw:
        return None
    try:
        jpeg = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise BadThumbnail("thumbnail_jpeg_base64: not base64") from None
    if jpeg[:2] != b"\xff\xd8":
        raise BadThumbnail("thumbnail_jpeg_base64: not a JPEG")
    return jpeg


def store_motion(db: Session, device_id: str, camera: Camera, motion_id: str, report: MotionReport) -> Stored:
    thumbnail = _thumbnail(report.thumbnail_jpeg_base64)
    query = select(MotionEvent).where(MotionEvent.device_id == device_id, MotionEvent.motion_id == motion_id)
    row = db.scalar(query)
    if row is None:
        row = MotionEvent(
            device_id=device_id,
            camera_id=camera.id,
            motion_id=motion_id,
            kind=report.kind,
            start=report.start,
            end=report.end,
            peak_area=report.peak_area,
            thumbnail=thumbnail,
            received_at=utcnow(),
        )
        try:
            with db.begin_nested():
                db.add(row)
            return Stored(row, True)
        except IntegrityError:  # a retry racing the first report on another worker
            row = db.scalar(query)
            if row is None:
                raise
    if report.end is not None and row.end is None:
        row.end = max(report.end, row.start)
    row.peak_area = max(row.peak_area, report.peak_area)
    if thumbnail is not None and row.thumbnail is None:
        row.thumbnail = thumbnail
    return Stored(row, False)
