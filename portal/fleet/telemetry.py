"""A batch's telemetry in a few statements, however many boxes it holds (docs/scale.md).

Telemetry is most of what boxes publish (every box every few seconds), so the fleet writer applies it with
Core statements instead of one ORM object per row: one read of which boxes exist, one upsert of their health
rows, one read of their cameras' states (an UPDATE only where a state changed) and one ``last_seen`` UPDATE.
With ORM objects the same batch cost ~0.45 ms of CPU per message, and the writer shares its process's GIL with
the ingest threads: its CPU is what its latency is made of.

Invariants, as before: a sample older than the stored one changes nothing (the upsert's WHERE), a box's last
error is kept until a sample reports another, ``last_seen`` only moves forward. The statements bypass the
session's identity map: the session is flushed first, and what it holds of these boxes is expired after.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, case, or_, select, update
from sqlalchemy.orm import Session

from cloud_sync.messages import Telemetry
from portal.archive.index import dialect_insert
from portal.models import Camera, Device, DeviceHealth

HEALTH = cast(Table, DeviceHealth.__table__)
CAMERAS = cast(Table, Camera.__table__)
DEVICES = cast(Table, Device.__table__)
# Columns every sample overwrites (the last error only when the sample reports one).
SAMPLE_COLUMNS = (
    "telemetry_at",
    "received_at",
    "cpu_percent",
    "temperature_c",
    "throttled",
    "disk_total",
    "disk_free",
    "backlog_segments",
    "backlog_bytes",
    "clock_synced",
    "cameras",
    "telemetry",
)


@dataclass(frozen=True)
class Sample:
    device_id: str
    msg: Telemetry
    received_at: datetime


def apply(db: Session, samples: Sequence[Sample]) -> set[str]:
    """Store each known box's newest sample unless a newer one is stored; returns the boxes whose sample it took."""
    newest: dict[str, Sample] = {}
    for sample in samples:
        held = newest.get(sample.device_id)
        if held is None or held.msg.ts <= sample.msg.ts:
            newest[sample.device_id] = sample
    if not newest:
        return set()
    db.flush()  # what the session holds goes first: the statements below do not see its pending objects
    known = set(db.scalars(select(DEVICES.c.id).where(DEVICES.c.id.in_(sorted(newest)))))
    rows = [_row(s) for device_id, s in sorted(newest.items()) if device_id in known]
    if not rows:
        return set()
    taken = _upsert_health(db, rows)
    if not taken:
        return taken  # every sample was older than the stored one
    _camera_states(db, [newest[d] for d in sorted(taken)])
    _touch(db, [newest[d] for d in sorted(taken)])
    _expire_held(db, taken)
    return taken


def _expire_held(db: Session, devices: set[str]) -> None:
    """Objects of these boxes the session already holds are stale now: the next access reloads them."""
    for obj in list(db.identity_map.values()):
        owner = obj.id if isinstance(obj, Device) else getattr(obj, "device_id", None)
        if owner in devices and isinstance(obj, Device | DeviceHealth | Camera):
            db.expire(obj)


def _row(sample: Sample) -> dict[str, object]:
    msg = sample.msg
    return {
        "device_id": sample.device_id,
        "telemetry_at": msg.ts,
        "received_at": sample.received_at,
        "cpu_percent": msg.cpu_percent,
        "temperature_c": msg.temperature_c,
        "throttled": msg.throttled,
        "disk_total": msg.disk_total,
        "disk_free": msg.disk_free,
        "backlog_segments": msg.backlog_segments,
        "backlog_bytes": msg.backlog_bytes,
        "clock_synced": msg.clock_synced,
        "cameras": {cid: cam.model_dump(mode="json") for cid, cam in msg.cameras.items()},
        "telemetry": msg.model_dump(mode="json", exclude={"cameras"}),
        "last_error": msg.last_error[:500],
        "last_error_at": msg.ts if msg.last_error else None,
    }


def _upsert_health(db: Session, rows: list[dict[str, object]]) -> set[str]:
    # Executed with the rows as parameters, not .values(rows): one compiled statement, cached, that SQLAlchemy
    # sends as multi-row INSERTs ("insertmanyvalues"); a VALUES list is compiled anew for every batch size.
    stmt = dialect_insert(db, HEALTH)
    new = stmt.excluded
    reports_error = new.last_error_at.is_not(None)
    set_ = {name: new[name] for name in SAMPLE_COLUMNS}
    set_["last_error"] = case((reports_error, new.last_error), else_=HEALTH.c.last_error)
    set_["last_error_at"] = case((reports_error, new.last_error_at), else_=HEALTH.c.last_error_at)
    newer = or_(HEALTH.c.telemetry_at.is_(None), HEALTH.c.telemetry_at <= new.telemetry_at)
    upsert = stmt.on_conflict_do_update(index_elements=["device_id"], set_=set_, where=newer)
    return set(db.scalars(upsert.returning(HEALTH.c.device_id), rows))


def _camera_states(db: Session, samples: list[Sample]) -> None:
    """A camera's state as its own box reports it; a camera the box does not own is left alone."""
    reported = {(s.device_id, cid): cam.state[:32] for s in samples for cid, cam in s.msg.cameras.items()}
    if not reported:
        return
    stored = db.execute(
        select(CAMERAS.c.id, CAMERAS.c.device_id, CAMERAS.c.state).where(
            CAMERAS.c.device_id.in_(sorted({s.device_id for s in samples}))
        )
    )
    changed = [
        {"camera": cid, "new_state": reported[(device, cid)]}
        for cid, device, state in stored
        if (device, cid) in reported and reported[(device, cid)] != state
    ]
    if changed:
        stmt = update(CAMERAS).where(CAMERAS.c.id == bindparam("camera")).values(state=bindparam("new_state"))
        db.execute(stmt, changed)


def _touch(db: Session, samples: list[Sample]) -> None:
    seen = bindparam("seen", type_=DEVICES.c.last_seen.type)
    stmt = (
        update(DEVICES)
        .where(DEVICES.c.id == bindparam("device"), or_(DEVICES.c.last_seen.is_(None), DEVICES.c.last_seen < seen))
        .values(last_seen=seen)
    )
    db.execute(stmt, [{"device": s.device_id, "seen": s.received_at} for s in samples])
