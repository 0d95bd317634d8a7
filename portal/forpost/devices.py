"""CallControlledDevice (door / camera-power relays bound to a camera) and EnableHomeMode («Я дома»)."""

import json
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.forpost import errors
from portal.models import Camera, Contract, utcnow
from portal.models.forpost import ControlledDevice, HomeMode
from portal.services import Services, contract_sender

log = logging.getLogger(__name__)
COMMAND_TIMEOUT = 10.0


def _send(
    services: Services,
    device_id: str,
    name: str,
    args: dict[str, Any],
    sent_by: str,
    timeout: float = COMMAND_TIMEOUT,
) -> dict[str, Any] | None:
    """The box's answer, or None when there is no link to boxes or the box did not answer in time.
    A command the link refuses to send (unknown device or command, bad arguments) is an answer with ok=False."""
    commands = services.commands
    if commands is None:
        return None
    try:
        return commands.send(device_id, name, args, timeout=timeout, sent_by=sent_by)
    except Exception as refused:
        log.warning("command %s to %s not sent: %s", name, device_id, refused)
        return {"ok": False, "error": f"Команда не отправлена: {refused}"}


def _subscriber(db: Session, contract_id: int) -> str:
    """``sent_by`` of a command a subscriber's app asked for: their contract number."""
    contract = db.get(Contract, contract_id)
    return contract_sender(contract.number if contract is not None else str(contract_id))


def call_device(db: Session, services: Services, camera: Camera, device_id: int, contract_id: int) -> dict[str, object]:
    device = db.get(ControlledDevice, device_id)
    if device is None or device.camera_id != camera.id:
        raise errors.forbidden("Нет прав на устройство")
    args = {"camera_id": camera.id, **json.loads(device.args_json or "{}")}
    # The box answers relay.pulse once the relay is back at rest: its seconds come on top of the usual wait.
    timeout = COMMAND_TIMEOUT + _seconds(args)
    answer = _send(services, camera.device_id, device.command, args, _subscriber(db, contract_id), timeout)
    if answer is None:
        raise errors.unknown("Устройство не ответило")
    if answer.get("status") == "expired":
        # Past the command's deadline (seconds for a door): the box will not act on it any more, ever.
        log.info("controlled device %s (%s) of camera %s: expired", device.id, device.command, camera.id)
        return {"Result": 0, "Error": "Устройство не ответило вовремя, команда отменена"}
    if not answer.get("ok"):
        log.info(
            "controlled device %s (%s) of camera %s refused: %s",
            device.id,
            device.command,
            camera.id,
            answer.get("error"),
        )
        return {"Result": 0, "Error": str(answer.get("error") or "Устройство отказало")}
    log.info("controlled device %s (%s) of camera %s: %s", device.id, device.command, camera.id, answer.get("result"))
    return {"Result": 1}


def _seconds(args: dict[str, Any]) -> float:
    try:
        return max(0.0, float(args.get("seconds") or 0))
    except (TypeError, ValueError):
        return 0.0  # the box refuses a bad value itself; the answer comes quickly


def set_home_mode(db: Session, services: Services, camera: Camera, contract_id: int, enabled: bool) -> None:
    """Record the mode and ask the box to pause (or resume) recording of that camera."""
    row = db.get(HomeMode, camera.id)
    if row is None:
        row = HomeMode(camera_id=camera.id, contract_id=contract_id)
        db.add(row)
    row.enabled, row.contract_id, row.changed_at = enabled, contract_id, utcnow()
    # A per-camera patch: the box merges it into that camera's config (recording off while at home).
    patch = {"cameras": [{"id": camera.id, "recording": not enabled}]}
    answer = _send(services, camera.device_id, "config.set", patch, _subscriber(db, contract_id))
    row.box_result = "offline" if answer is None else ("ok" if answer.get("ok") else "refused")


def notifications_paused(db: Session, camera_id: str) -> bool:
    """Whether notifications about this camera are held back («Я дома» is on)."""
    return bool(db.scalar(select(HomeMode.enabled).where(HomeMode.camera_id == camera_id)))
