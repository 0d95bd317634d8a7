"""GetEvents: what the camera's box reported about it (device_events), newest first, in the subscriber's zone."""

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.forpost.params import TIME_FORMAT
from portal.models import Camera
from portal.models.devices_state import DeviceEvent

MAX_COUNT = 1000


def camera_events(
    db: Session, camera: Camera, zone: ZoneInfo, lower: datetime | None, upper: datetime | None, count: int
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
    return [
        {"ID": event.id, "Time": event.ts.astimezone(zone).strftime(TIME_FORMAT), "Type": event.type}
        for event in db.scalars(query)
    ]
