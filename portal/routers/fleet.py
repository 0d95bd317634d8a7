"""Fleet HTTP API: the box's claim call (technician UI) and the operator's devices, commands and results."""

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field

from cloud_sync.segments import ID_PATTERN
from portal.cabinet.operators import operator_login
from portal.deps import DB, Operator, services
from portal.fleet import listing, views
from portal.fleet.broker_config import parse_mqtt_url
from portal.fleet.commands import CommandRefused, CommandSender
from portal.fleet.listing import MAX_QUERY
from portal.fleet.provisioning import ProvisioningError, claim_device
from portal.services import operator_sender

router = APIRouter(tags=["fleet"])


class ClaimBody(BaseModel):
    device_id: str = Field(pattern=ID_PATTERN)
    claim_code: str = Field(min_length=4, max_length=32)


class ClaimOut(BaseModel):
    device_id: str
    upload_token: str
    mqtt_username: str
    mqtt_password: str
    mqtt_host: str
    mqtt_port: int
    mqtt_tls: bool
    portal_url: str


NO_BROKER: dict[int | str, dict[str, Any]] = {
    503: {"description": "the portal runs without an MQTT broker (configuration, not input)"}
}


@router.post("/api/v1/devices/claim", response_model=ClaimOut, responses=NO_BROKER)
def claim(body: ClaimBody, request: Request, db: DB) -> ClaimOut:
    """One-time: the claim code printed for the box buys its upload token and MQTT password."""
    settings = services(request).settings
    broker_url = settings.box_mqtt_url or settings.mqtt_url
    if not broker_url:
        raise HTTPException(503, "the portal has no MQTT broker configured (mqtt_url)")
    try:
        creds = claim_device(db, body.device_id, body.claim_code)
    except ProvisioningError as exc:
        raise HTTPException(403, str(exc)) from exc
    broker = parse_mqtt_url(broker_url)
    return ClaimOut(
        **creds.__dict__,
        mqtt_host=broker.host,
        mqtt_port=broker.port,
        mqtt_tls=broker.tls,
        portal_url=settings.public_url,
    )


class CommandBody(BaseModel):
    name: str = Field(min_length=1, max_length=32)
    args: dict[str, Any] = Field(default_factory=dict)
    wait: float = Field(0, ge=0, le=60, description="seconds to wait for the box's answer; 0 = do not wait")


def _sender(request: Request) -> CommandSender:
    link = services(request).fleet
    if link is None:
        raise HTTPException(503, "the portal's MQTT link is not running (mqtt_url)")
    return link.commands


@router.get("/api/v1/operator/devices")
def list_devices(
    _who: Operator,
    db: DB,
    state: Annotated[str, Query(description="online | offline | unknown; empty: every state")] = "",
    q: Annotated[str, Query(max_length=MAX_QUERY, description="words matched in id, name, address; «п.2»")] = "",
    limit: Annotated[int | None, Query(ge=1, le=10_000, description="at most this many (id order)")] = None,
    offset: Annotated[int, Query(ge=0, description="skip this many first")] = 0,
) -> list[dict[str, Any]]:
    """The boxes in id order, filtered as the console's fleet page filters them (every box without parameters)."""
    try:
        rows = listing.matching_rows(db, state, q.strip(), limit, offset)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return [row.as_dict() for row in rows]


@router.get("/api/v1/operator/devices/{device_id}")
def device_detail(device_id: str, _who: Operator, db: DB) -> dict[str, Any]:
    detail = views.device_detail(db, device_id)
    if detail is None:
        raise HTTPException(404, f"device_id: no device {device_id!r}")
    return detail


@router.post("/api/v1/operator/devices/{device_id}/commands", responses=NO_BROKER)
def send_command(device_id: str, body: CommandBody, request: Request, who: Operator, db: DB) -> dict[str, Any]:
    sender = _sender(request)
    sent_by = operator_sender(operator_login(db, who.operator_id))
    try:
        request_id = sender.submit(device_id, body.name, body.args, sent_by=sent_by)
    except CommandRefused as exc:
        raise HTTPException(400, str(exc)) from exc
    result = sender.wait(request_id, body.wait) if body.wait else None
    return {"request_id": request_id, "result": result}


@router.get("/api/v1/operator/devices/{device_id}/commands/{request_id}")
def command_status(device_id: str, request_id: str, _who: Operator, db: DB) -> dict[str, Any]:
    command = views.command(db, device_id, request_id)
    if command is None:
        raise HTTPException(404, f"request_id: no command {request_id!r} for device {device_id!r}")
    return command
