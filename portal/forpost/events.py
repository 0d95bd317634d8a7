"""GetEvents: what the camera's box reported about it (device_events) and its motion events (motion_events),
newest first; ``Time`` in unix seconds (the spec's number). Motion items carry ``EndTime`` too (unix seconds,
null while the motion goes on) and IDs offset by MOTION_ID_BASE so they never collide with device event ids."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Camera
from portal.models.devices_state import DeviceEvent
from portal.models.motion import MotionEvent

MAX_COUNT = 1000
MOTION_ID_BASE = 10**12


def camera_events(
    db: Session, camera: Camera, lower: datetime | None, upper: datetime | None, count: int
) -> list[dict[str, object]]:
    limit = min(count, MAX_COUNT)
    query = (
        select(DeviceEvent)
        .where(DeviceEvent.device_id == camera.device_id, DeviceEvent.camera_id == camera.id)
        .order_by(DeviceEvent.ts.desc(), DeviceEvent.id.desc())
        .limit(limit)
    )
    motion = (
        select(MotionEvent)
        .where(MotionEvent.camera_id == camera.id)
        .order_by(MotionEvent.start.desc(), MotionEvent.id.desc())
        .limit(limit)
    )
    if lower is not None:
        query = query.where(DeviceEvent.ts >= lower)
        motion = motion.where(MotionEvent.start >= lower)
    if upper is not None:
        query = query.where(DeviceEvent.ts <= upper)
        motion = motion.where(MotionEvent.start <= upper)
    items: list[tuple[datetime, dict[str, object]]] = [
        (event.ts, {"ID": event.id, "Time": int(event.ts.timestamp()), "Type": event.type})
        for event in db.scalars(query)
    ]
    items += [
        (
            event.start,
            {
                "ID": MOTION_ID_BASE + event.id,
                "Time": int(event.start.timestamp()),
                "Type": event.kind,
                "EndTime": int(event.end.timestamp()) if event.end else None,
            },
        )
        for event in db.scalars(motion)
    ]
    items.sort(key=lambda item: item[0], reverse=True)
    return [item for _, item in items[:limit]]
