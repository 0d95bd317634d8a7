"""GetEvents: what the camera's box reported about it (device_events), newest first; ``Time`` in unix seconds
(the spec's number), the date bounds in the subscriber's zone."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Camera
from portal.models.devices_state import DeviceEvent

MAX_COUNT = 1000


def camera_events(
    db: Session, camera: Camera, lower: datetime | None, upper: datetime | None, count: int
) -> list[dict[str, object]]:
    query = (
        select(DeviceEvent)
        .where(DeviceEvent.device_id == camera.device_id, DeviceEvent.camera_id == camera.id)
        .order_by(DeviceEvent.ts.desc(), DeviceEvent.id.desc())
        .limit(min(count, MAX_COUNT))
    )
    if lower is not None:
        query = query.where(DeviceEvent.ts >= lower)
    if upper is not None:
        query = query.where(DeviceEvent.ts <= upper)
    return [{"ID": event.id, "Time": int(event.ts.timestamp()), "Type": event.type} for event in db.scalars(query)]
