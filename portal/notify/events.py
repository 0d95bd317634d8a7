"""Box events → notifications for the contracts that see the camera (portal/access.py's rule), through their
subscriptions. Door (`button`) and `tamper` go out at once; a camera that went down is announced only after
`notify_camera_offline_minutes` without a `camera_up` (a short blip is no news), and then its recovery too.

Push data carries the app's deep link: `camid` (the Forpost CameraID) and `archive` (GMT `yyyyMMddHHmmss`);
e-mails link to the same moment in the cabinet. The events stay in device_events, so Forpost GetEvents keeps
returning them.
"""

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from portal.forpost.numbers import numbers_for
from portal.models import Camera, Contract, utcnow
from portal.models.notify import CameraAlert
from portal.notify.outbox import Policy, notify

log = logging.getLogger(__name__)
IMMEDIATE = {"button": ("door", "Открыта дверь"), "tamper": ("camera_offline", "Вскрытие или поворот камеры")}


def viewers(db: Session, camera: Camera) -> list[Contract]:
    """Active contracts that see the camera: its owner (private), or everyone at its entrance (shared)."""
    if camera.owner_contract_id is not None:
        rule = Contract.id == camera.owner_contract_id
    elif camera.address_id is not None:
        rule = Contract.address_id == camera.address_id
    else:
        return []
    return list(db.scalars(select(Contract).where(rule, Contract.status == "active")))


def _deep_link(db: Session, policy: Policy, camera: Camera, at: datetime) -> tuple[dict, str]:
    stamp = at.astimezone(UTC).strftime("%Y%m%d%H%M%S")  # the apps' `archive` parameter: GMT
    number = numbers_for(db, [camera.id])[camera.id]
    link = f"{policy.public_url.rstrip('/')}/cameras/{camera.id}?at={at.isoformat()}"
    return {"camid": str(number), "archive": stamp, "camera": camera.id}, link


def tell_viewers(
    db: Session, policy: Policy, camera: Camera, category: str, title: str, at: datetime, urgent=None
) -> int:
    data, link = _deep_link(db, policy, camera, at)
    text = f"{camera.name}: {title.lower()}"
    return sum(
        len(notify(db, policy, c, category, title, text, data=data, link=link, urgent=urgent))
        for c in viewers(db, camera)
    )


def on_event(db: Session, policy: Policy, device_id: str, event_type: str, camera_id: str | None, ts: datetime) -> int:
    """Called for each newly stored box event; returns how many deliveries were queued."""
    camera = db.get(Camera, camera_id) if camera_id else None
    if camera is None or camera.device_id != device_id:
        return 0
    if event_type in IMMEDIATE:
        category, title = IMMEDIATE[event_type]
        return tell_viewers(db, policy, camera, category, title, ts, urgent=event_type == "tamper" or None)
    alert = db.get(CameraAlert, camera.id)
    if event_type == "camera_down" and alert is None:
        db.add(CameraAlert(camera_id=camera.id, down_at=ts))
    elif event_type == "camera_up" and alert is not None:
        db.delete(alert)
        if alert.notified_at is not None:
            return tell_viewers(db, policy, camera, "camera_offline", "Камера снова в сети", ts)
    return 0


def sweep_offline(db: Session, policy: Policy, minutes: int, now: datetime | None = None) -> int:
    """Announce cameras down for longer than `minutes` (once per outage); the worker loop calls it."""
    now = now or utcnow()
    cutoff = now - timedelta(minutes=minutes)
    due = db.scalars(select(CameraAlert).where(and_(CameraAlert.notified_at.is_(None), CameraAlert.down_at <= cutoff)))
    queued = 0
    for alert in due:
        alert.notified_at = now
        camera = db.get(Camera, alert.camera_id)
        if camera is not None:
            queued += tell_viewers(db, policy, camera, "camera_offline", "Камера не в сети", alert.down_at)
    return queued


def box_event_hook(services):
    """The fleet consumer's hook; a failure here must never stop event ingestion."""
    policy = Policy.from_settings(services.settings)

    def hook(db: Session, device_id: str, event) -> None:
        if not event.camera_id:
            return  # on_event tells nobody about a box-level event: spare the savepoint's two round trips
        try:
            with db.begin_nested():
                on_event(db, policy, device_id, event.type, event.camera_id, event.ts)
        except Exception:
            log.exception("notification for %s event %s failed", device_id, event.id)

    return hook
