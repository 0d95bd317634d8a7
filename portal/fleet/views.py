"""Read models for the operator: one row per box for the fleet page, and a box's detail."""

from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from portal.models import Camera, Device, DeviceCommand, DeviceEvent, DeviceHealth


@dataclass
class FleetRow:
    device_id: str
    name: str
    state: str
    session: int
    last_seen: datetime | None
    firmware: str
    address: str
    disk_total: int = 0
    disk_free: int = 0
    backlog_segments: int = 0
    backlog_bytes: int = 0
    clock_synced: bool = False
    temperature_c: float | None = None
    cameras: list[dict[str, str]] = field(default_factory=list)
    last_error: str = ""
    last_error_at: datetime | None = None
    claimed: bool = False

    @property
    def disk_used_percent(self) -> float | None:
        if not self.disk_total:
            return None
        return round(100 * (self.disk_total - self.disk_free) / self.disk_total, 1)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["disk_used_percent"] = self.disk_used_percent
        for key in ("last_seen", "last_error_at"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


BOUND_IDS = 1000


def selected_rows(db: Session, devices: Select[Device]) -> list[FleetRow]:
    """The rows of the boxes ``devices`` selects, in its order (filtered and paged by portal/fleet/listing.py):
    one query each for the boxes, their health and their cameras, the last two restricted to the boxes found. A
    page's ids are bound as a list (the filter, a LIKE scan with a search, is not run again); past ``BOUND_IDS``
    boxes the selection itself is the subquery, since SQLite and PostgreSQL cap the parameters of one query."""
    found = list(db.scalars(devices).unique())
    ids: Collection[str] | Select[tuple[str]] = [d.id for d in found]
    if len(found) > BOUND_IDS:
        ids = select(devices.with_only_columns(Device.id).subquery().c.id)
    health = {h.device_id: h for h in db.scalars(select(DeviceHealth).where(DeviceHealth.device_id.in_(ids)))}
    cameras: dict[str, list[Camera]] = {}
    for camera in db.scalars(select(Camera).where(Camera.device_id.in_(ids)).order_by(Camera.id)):
        cameras.setdefault(camera.device_id, []).append(camera)
    return [_row(d, health.get(d.id), cameras.get(d.id, [])) for d in found]


def _row(device: Device, health: DeviceHealth | None, cameras: list[Camera]) -> FleetRow:
    row = FleetRow(
        device_id=device.id,
        name=device.name,
        state=device.state,
        session=device.session,
        last_seen=device.last_seen,
        firmware=device.firmware,
        address=device.address.short if device.address else "",
        claimed=bool(device.upload_token_hash),
    )
    reported = (health.cameras or {}) if health else {}
    row.cameras = [_camera(c, reported.get(c.id) or {}) for c in cameras]
    if health is not None:
        row.disk_total, row.disk_free = health.disk_total, health.disk_free
        row.backlog_segments, row.backlog_bytes = health.backlog_segments, health.backlog_bytes
        row.clock_synced, row.temperature_c = health.clock_synced, health.temperature_c
        row.last_error, row.last_error_at = health.last_error, health.last_error_at
    return row


def _camera(camera: Camera, reported: dict[str, Any]) -> dict[str, str]:
    """A camera as its box last reported it (state, and its motion detector's when motion is on)."""
    motion = reported.get("motion")
    return {
        "id": camera.id,
        "name": camera.name,
        "state": reported.get("state", camera.state),
        "motion": motion if isinstance(motion, str) else "",
    }


@dataclass(frozen=True)
class DeviceView:
    """A box's page: its fleet row, its last telemetry, its newest events and commands (newest first)."""

    row: FleetRow
    telemetry: dict[str, Any]
    events: list[DeviceEvent]
    commands: list[DeviceCommand]


def device_view(db: Session, device_id: str, events: int = 50, commands: int = 20) -> DeviceView | None:
    device = db.get(Device, device_id)
    if device is None:
        return None
    health = db.get(DeviceHealth, device_id)
    cameras = db.scalars(select(Camera).where(Camera.device_id == device_id).order_by(Camera.id))
    row = _row(device, health, list(cameras))
    recent_events = db.scalars(
        select(DeviceEvent).where(DeviceEvent.device_id == device_id).order_by(DeviceEvent.ts.desc()).limit(events)
    )
    recent_commands = db.scalars(
        select(DeviceCommand)
        .where(DeviceCommand.device_id == device_id)
        .order_by(DeviceCommand.created_at.desc())
        .limit(commands)
    )
    telemetry = (health.telemetry or {}) if health else {}
    return DeviceView(row, telemetry, list(recent_events), list(recent_commands))


def device_detail(db: Session, device_id: str) -> dict[str, Any] | None:
    """``device_view`` as the JSON API gives it."""
    view = device_view(db, device_id)
    if view is None:
        return None
    return {
        **view.row.as_dict(),
        "telemetry": view.telemetry,
        "events": [
            {"id": e.event_id, "type": e.type, "camera_id": e.camera_id, "ts": e.ts.isoformat(), "data": e.data}
            for e in view.events
        ],
        "commands": [_command_dict(c) for c in view.commands],
    }


def command(db: Session, device_id: str, request_id: str) -> dict[str, Any] | None:
    row = db.get(DeviceCommand, request_id)
    if row is None or row.device_id != device_id:
        return None
    return _command_dict(row)


def _command_dict(row: DeviceCommand) -> dict[str, Any]:
    return {
        "request_id": row.request_id,
        "name": row.name,
        "args": row.args,
        "status": row.status,
        "result": row.result,
        "error": row.error,
        "replays": row.replays,
        "sent_by": row.sent_by,
        "created_at": row.created_at.isoformat(),
        "completed_at": row.completed_at.isoformat() if row.completed_at else None,
    }
