"""Leases: the box relays a camera's sub-stream only while viewers fetch its light playlist.

A viewer's fetch renews the portal's lease row; once a third of the lease has gone by since the box was last
asked, the one request that wins the conditional UPDATE (any worker) sends ``live.light`` again. The box counts
the lease from when it receives the command and stops when it lapses, so a portal that forgets (crash, no more
viewers) costs at most one lease of upload. The ingest takes light segments only while the lease is live.
"""

import time
from datetime import datetime, timedelta
from typing import Any, cast

import anyio.to_thread
from sqlalchemy import CursorResult, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.light.store import LightRef, newest
from portal.models import Camera, DeviceHealth, utcnow
from portal.models.light import LightLease
from portal.services import Services

GRACE = timedelta(seconds=10)  # the box's lease starts when the command arrives, a little after ours
WINDOW = 5  # segments in a light playlist
FRESH = timedelta(seconds=6)  # a newest segment older than this means the relay is not (yet) running
POLL = 0.25


class LightUnavailable(Exception):
    """No light stream for this camera now; ``status`` 404 (none configured) or 503 (try again later)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _reported(db: Session, camera: Camera) -> dict[str, Any]:
    health = db.get(DeviceHealth, camera.device_id)
    reported = (health.cameras or {}).get(camera.id) if health is not None else None
    return reported if isinstance(reported, dict) else {}


def capable(db: Session, camera: Camera) -> bool:
    """The camera's box says it can relay a sub-stream (its telemetry's per-camera `light`)."""
    return _reported(db, camera).get("light") is True


def available(db: Session, camera: Camera) -> bool:
    """A light stream can be had now: the box can relay it, is online, and the camera is not paused («Я дома»:
    the box refuses to relay it, and the portal stops listing what it relayed before at once)."""
    online = camera.device is not None and camera.device.state == "online"
    return capable(db, camera) and online and _reported(db, camera).get("state") != "paused"


def lease_live(db: Session, camera_id: str, now: datetime) -> bool:
    row = db.get(LightLease, camera_id)
    return row is not None and row.until + GRACE >= now


def claim_renewal(db: Session, camera_id: str, now: datetime, seconds: float) -> bool:
    """Extend the lease; True when this caller must (re)send it to the box (none yet, or a third of it used)."""
    until = now + timedelta(seconds=seconds)
    due = now - timedelta(seconds=seconds / 3)
    result = db.execute(
        update(LightLease)
        .where(LightLease.camera_id == camera_id, LightLease.renewed_at <= due)
        .values(until=until, renewed_at=now)
    )
    if cast(CursorResult[Any], result).rowcount:
        return True
    if db.get(LightLease, camera_id) is not None:
        return False  # renewed a moment ago by another viewer's request
    try:
        with db.begin_nested():
            db.add(LightLease(camera_id=camera_id, until=until, renewed_at=now))
    except IntegrityError:  # another worker inserted it first
        return False
    return True


def watch(services: Services, camera_id: str) -> list[LightRef]:
    """A viewer's fetch: renew the lease (asking the box when due) and the segments to list, waiting up to
    ``light_first_wait`` for the first ones of a relay that is just starting. Uses its own short units of work
    (callers commit theirs first): the box's uploads must be able to write while this waits. Holds the calling
    thread while it waits: the event loop's callers use ``watch_async``."""
    deadline = time.monotonic() + _renew(services, camera_id)
    while (refs := _listed(services, camera_id, deadline)) is None:
        time.sleep(POLL)
    return refs


async def watch_async(services: Services, camera_id: str) -> list[LightRef]:
    """``watch`` for the event loop: each step's queries run on a worker thread, the waits between them on the
    loop, so viewers of relays that are starting hold no thread of the shared pool (~40) while they wait."""
    deadline = time.monotonic() + await anyio.to_thread.run_sync(_renew, services, camera_id)
    while (refs := await anyio.to_thread.run_sync(_listed, services, camera_id, deadline)) is None:
        await anyio.sleep(POLL)
    return refs


def _renew(services: Services, camera_id: str) -> float:
    """Check the camera can relay now, renew the lease, send ``live.light`` when due; the seconds to wait."""
    settings = services.settings
    commands = services.commands
    if commands is None:
        raise LightUnavailable(503, "light live view needs the MQTT link to the boxes, which is not running")
    with services.db.session() as db:
        camera = db.get(Camera, camera_id)
        if camera is None or not capable(db, camera):
            raise LightUnavailable(404, f"camera {camera_id!r} has no light stream (no sub-stream on its box)")
        if not available(db, camera):
            raise LightUnavailable(503, f"camera {camera_id!r}: its box is offline or the camera is paused")
        device_id = camera.device_id
        send = claim_renewal(db, camera_id, utcnow(), settings.light_lease_seconds)
    if send:
        args = {"camera_id": camera_id, "seconds": settings.light_lease_seconds}
        commands.send(device_id, "live.light", args, ttl=timedelta(seconds=15), sent_by="light")
    return settings.light_first_wait


def _listed(services: Services, camera_id: str, deadline: float) -> list[LightRef] | None:
    """The segments to list once the relay is running; None to wait on; LightUnavailable past the deadline."""
    keep = services.settings.light_keep_seconds
    with services.db.session() as db:
        refs = newest(db, camera_id, utcnow() - timedelta(seconds=keep), WINDOW)
    if refs and refs[-1].received_at >= utcnow() - FRESH:
        return refs
    if time.monotonic() >= deadline:
        raise LightUnavailable(503, f"camera {camera_id!r}: the light stream has not started yet; retry")
    return None
