"""Applying what boxes say over MQTT to the database. Every write is idempotent, so several portal workers
(or a redelivered message) leave the same state as one delivery would."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from cloud_sync.messages import CommandResult, Event, Status, Telemetry
from portal.archive.index import dialect_insert
from portal.fleet import telemetry
from portal.models import Camera, Device, DeviceCommand, DeviceEvent, DeviceHealth, utcnow


def apply_status(db: Session, device_id: str, status: Status, received_at: datetime) -> bool:
    """Take a status unless it is stale: a will of session N arriving after the birth of N+1 is ignored.

    A birth is always current (it is sent live), which also recovers a box whose counter restarted.
    """
    device = db.get(Device, device_id)
    if device is None:
        return False
    if status.state == "offline" and status.session < device.session:
        return False
    device.session = status.session
    device.state = status.state
    if status.firmware:
        device.firmware = status.firmware[:64]
    if status.state == "online":
        device.last_seen = received_at
    return True


def touch(db: Session, device_id: str, seen: datetime) -> None:
    device = db.get(Device, device_id)
    if device is not None and (device.last_seen is None or device.last_seen < seen):
        device.last_seen = seen


def apply_telemetry(db: Session, device_id: str, msg: Telemetry, received_at: datetime) -> bool:
    """One box's sample (the fleet writer applies a batch's at once: portal/fleet/telemetry.py)."""
    return device_id in telemetry.apply(db, [telemetry.Sample(device_id, msg, received_at)])


def lock_devices(db: Session, device_ids: set[str]) -> None:
    """Lock the batch's boxes' rows in id order before the batch writes anything (PostgreSQL; SQLite has one
    writer at a time anyway). Two workers' batches that share a box then queue instead of deadlocking: every
    other row a batch writes (health, cameras, events) belongs to a box it holds. Without it, status and
    ``last_seen`` updates flushed in different orders deadlocked now and then, and PostgreSQL took a second
    to notice (measured: seconds of lag for that batch with two portal processes)."""
    if not device_ids or db.get_bind().dialect.name != "postgresql":
        return
    ids = sorted(device_ids)
    db.execute(select(Device.id).where(Device.id.in_(ids)).order_by(Device.id).with_for_update(key_share=True))


def preload(db: Session, device_ids: set[str]) -> list[object]:
    """Load the batch's boxes, health rows and cameras in three queries, so applying each message finds them
    in the session (``db.get``) instead of a round trip per row: one batch is a few statements, not 4 per box.

    The caller keeps the returned list until the batch ends: the session's identity map holds objects weakly,
    so rows nobody references are gone again before ``db.get`` looks for them (and every get is a query)."""
    if not device_ids:
        return []
    ids = sorted(device_ids)
    plain = lazyload("*")  # no joined addresses and contracts: the handlers read the rows' own columns
    held: list[object] = []
    held += db.scalars(select(Device).where(Device.id.in_(ids)).options(plain)).all()
    held += db.scalars(select(DeviceHealth).where(DeviceHealth.device_id.in_(ids))).all()
    held += db.scalars(select(Camera).where(Camera.device_id.in_(ids)).options(plain)).all()
    return held


def _new_health(db: Session, device_id: str) -> DeviceHealth:
    health = DeviceHealth(
        device_id=device_id,
        disk_total=0,
        disk_free=0,
        backlog_segments=0,
        backlog_bytes=0,
        clock_synced=False,
        cameras={},
        telemetry={},
    )
    db.add(health)
    return health


def store_event(db: Session, device_id: str, event: Event, received_at: datetime) -> bool:
    """Insert once per (device, event id); camera up/down also updates the camera's state."""
    if db.get(Device, device_id) is None:
        return False
    # One statement, not a lookup plus a savepoint'd insert: a repeat (redelivery, another worker first)
    # inserts nothing and returns no id.
    stmt = (
        dialect_insert(db, DeviceEvent)
        .values(
            device_id=device_id,
            event_id=event.id,
            type=event.type,
            camera_id=event.camera_id,
            ts=event.ts,
            data=event.data,
            received_at=received_at,
        )
        .on_conflict_do_nothing(index_elements=["device_id", "event_id"])
        .returning(DeviceEvent.id)
    )
    if db.execute(stmt).scalar() is None:
        return False
    if event.camera_id and event.type in ("camera_up", "camera_down"):
        camera = db.get(Camera, event.camera_id)
        if camera is not None and camera.device_id == device_id:
            camera.state = "recording" if event.type == "camera_up" else "down"
    if event.type in ("disk_full", "tamper"):
        _note_error(db, device_id, f"{event.type}: {event.data}"[:500], event.ts)
    touch(db, device_id, received_at)
    return True


def apply_result(db: Session, device_id: str, result: CommandResult, received_at: datetime) -> bool:
    command = db.get(DeviceCommand, result.request_id)
    if command is None or command.device_id != device_id:
        return False  # a box may answer only its own commands
    if result.replayed:
        command.replays += 1
    if command.completed_at is None:
        command.status = "done" if result.ok else (result.status or "failed")  # failed | expired | interrupted
        command.result = result.model_dump(mode="json")
        command.error = result.error[:500]
        command.completed_at = received_at
        if not result.ok:
            _note_error(db, device_id, f"{command.name}: {result.error}"[:500], received_at)
    touch(db, device_id, received_at)
    return True


def _note_error(db: Session, device_id: str, text: str, at: datetime) -> None:
    health = db.get(DeviceHealth, device_id) or _new_health(db, device_id)
    health.last_error, health.last_error_at = text, at or utcnow()
