"""Operator console: the fleet page (boxes by state and search, a page at a time) and a box's own page (health,
cameras, recent events and commands; ping, reboot, a camera's snapshot or power cycle sent from it).

Reads through ``portal.fleet.listing`` / ``portal.fleet.views``, commands through the same ``CommandSender`` as the
JSON API (``portal/routers/fleet.py``); this module reads forms and renders pages.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from portal.cabinet.operators import operator_login
from portal.deps import DB, services
from portal.fleet import listing, views
from portal.fleet.commands import CommandRefused
from portal.models import Camera, Device
from portal.ota.rollout import latest_by_device
from portal.routers.fleet import NO_BROKER
from portal.services import SENDING_JOBS, operator_sender
from portal.web.csrf import verify_csrf
from portal.web.guards import PageOperator
from portal.web.templating import render

router = APIRouter(prefix="/operator", tags=["operator console"])

# What the box's page offers (the JSON API sends any command): harmless checks and the usual remedies. A door is
# opened from the subscriber's app, not from the console.
CONSOLE_COMMANDS = {
    "ping": "Проверить связь",
    "snapshot": "Снимок с камеры",
    "camera.power_cycle": "Перезапустить питание камеры",
    "reboot": "Перезагрузить устройство",
}
CAMERA_COMMANDS = frozenset({"snapshot", "camera.power_cycle"})


@router.get("/fleet")
def fleet_page(request: Request, _who: PageOperator, db: DB, state: str = "", q: str = "", page: int = 1) -> Response:
    try:
        listed = listing.fleet_page(db, state, q.strip(), page)
    except ValueError as exc:  # the whole list, unfiltered, under the error naming the field
        return _fleet(request, db, listing.fleet_page(db), "", "", 422, error=str(exc))
    return _fleet(request, db, listed, state, q.strip())


def _fleet(
    request: Request, db: Session, listed: listing.FleetPage, state: str, q: str, status: int = 200, **extra: Any
) -> Response:
    return render(
        request,
        "operator/fleet.html",
        status_code=status,
        listed=listed,
        state=state,
        q=q,
        states=listing.STATES,
        updates=latest_by_device(db, [r.device_id for r in listed.rows]),  # newest OTA stage per box (docs/ota.md)
        active="fleet",
        **extra,
    )


@router.get("/fleet/{device_id}")
def device_page(request: Request, device_id: str, _who: PageOperator, db: DB) -> Response:
    return _device(request, db, device_id)


def _device(request: Request, db: Session, device_id: str, status: int = 200, **extra: Any) -> Response:
    view = views.device_view(db, device_id)
    if view is None:
        raise HTTPException(404, f"Устройства {device_id} нет")
    return render(
        request,
        "operator/device.html",
        status_code=status,
        d=view.row,
        telemetry=view.telemetry,
        events=view.events,
        command_log=view.commands,
        commands=CONSOLE_COMMANDS,
        jobs=SENDING_JOBS,
        update=latest_by_device(db, [device_id]).get(device_id),
        active="fleet",
        **extra,
    )


@router.post("/fleet/{device_id}/commands", dependencies=[Depends(verify_csrf)], responses=NO_BROKER)
def send_command(
    request: Request,
    device_id: str,
    who: PageOperator,
    db: DB,
    name: Annotated[str, Form()] = "",
    camera_id: Annotated[str, Form()] = "",
) -> Response:
    if db.get(Device, device_id) is None:
        raise HTTPException(404, f"Устройства {device_id} нет")
    form = {"name": name, "camera_id": camera_id}
    args, error = _command_args(db, device_id, name, camera_id)
    if error:
        return _device(request, db, device_id, 422, error=error, form=form)
    link = services(request).fleet
    if link is None:
        return _device(
            request, db, device_id, 503, error="портал работает без MQTT-брокера (mqtt_url): команды не уходят"
        )
    try:
        sent_by = operator_sender(operator_login(db, who.operator_id))
        request_id = link.commands.submit(device_id, name, args, sent_by=sent_by)
    except CommandRefused as exc:
        return _device(request, db, device_id, 422, error=str(exc), form=form)
    return RedirectResponse(f"/operator/fleet/{device_id}?sent={request_id}#commands", status_code=303)


def _command_args(db: Session, device_id: str, name: str, camera_id: str) -> tuple[dict[str, str], str]:
    """The command's arguments, or the error naming the field."""
    if name not in CONSOLE_COMMANDS:
        return {}, f"name: одна из команд {', '.join(CONSOLE_COMMANDS)}"
    if name not in CAMERA_COMMANDS:
        return {}, ""
    camera = db.get(Camera, camera_id) if camera_id else None
    if camera is None or camera.device_id != device_id:
        return {}, f"camera_id: выберите камеру этого устройства ({device_id})"
    return {"camera_id": camera_id}, ""
