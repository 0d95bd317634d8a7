"""A camera's motion events (JSON API) and their thumbnails, access as for the timeline (portal/archive/authz.py);
and the boxes' motion reports (ingest, device token)."""

import logging
from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Header, HTTPException, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from cloud_sync.motion import MOTION_ID_PATTERN, MotionReport
from cloud_sync.segments import ID_PATTERN, INGEST_PREFIX, format_time
from portal.archive.authz import media_access, sign_for
from portal.archive.params import parse_window
from portal.billing.gate import visible_since
from portal.deps import DB, services
from portal.ingest.devices import device_for_token, own_camera
from portal.motion.notify import notify_motion
from portal.motion.query import event_of_camera, events_between
from portal.motion.store import BadThumbnail, store_motion
from portal.notify.outbox import Policy
from portal.params import BigRowId

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/cameras", tags=["motion"])
ingest_router = APIRouter(prefix=f"{INGEST_PREFIX}/cameras", tags=["ingest"])
MAX_WINDOW = timedelta(days=31)


class EventOut(BaseModel):
    id: int
    kind: str
    start: str
    end: str | None  # None while the motion goes on
    thumbnail_url: str | None
    peak_area: float  # % of the frame that moved at the peak


@router.get("/{camera_id}/events", response_model=list[EventOut], name="camera_events")
def camera_events(
    request: Request,
    camera_id: str,
    db: DB,
    start: Annotated[str, Query(alias="from", description="ISO 8601 UTC")],
    end: Annotated[str, Query(alias="to", description="ISO 8601 UTC")],
    kind: Annotated[Literal["motion"] | None, Query(description="Only events of this kind")] = None,
    token: str | None = None,
) -> list[EventOut]:
    access = media_access(request, db, camera_id, token)
    camera = access.camera
    lo, hi = parse_window(start, end)
    if hi - lo > MAX_WINDOW:
        raise HTTPException(422, "to: the window is longer than 31 days")
    lo = max(lo, visible_since(db, access.viewer, camera))  # nothing older than the tariff's archive depth
    if lo >= hi:
        return []
    media_token = access.token or sign_for(request, camera.id, access.who)
    base = f"/api/v1/cameras/{camera.id}/events"
    return [
        EventOut(
            id=e.id,
            kind=e.kind,
            start=format_time(e.start),
            end=format_time(e.end) if e.end is not None else None,
            thumbnail_url=f"{base}/{e.id}/thumbnail.jpg?token={media_token}",
            peak_area=round(e.peak_area, 2),
        )
        for e in events_between(db, camera.id, lo, hi, kind)
    ]


@router.get(
    "/{camera_id}/events/{event_id}/thumbnail.jpg",
    responses={200: {"content": {"image/jpeg": {}}}},
    name="camera_event_thumbnail",
)
def camera_event_thumbnail(
    request: Request, camera_id: str, event_id: BigRowId, db: DB, token: str | None = None
) -> Response:
    access = media_access(request, db, camera_id, token)
    event = event_of_camera(db, access.camera.id, event_id)
    if event is None or event.start < visible_since(db, access.viewer, access.camera):
        raise HTTPException(404, f"event {event_id} does not exist for this camera")
    if not event.thumbnail:
        raise HTTPException(404, f"event {event_id} has no thumbnail")
    return Response(event.thumbnail, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=86400"})


@ingest_router.put("/{camera}/motion/{motion_id}", name="ingest_motion")
def put_motion(
    request: Request,
    camera: Annotated[str, Path(pattern=ID_PATTERN, description="Camera id")],
    motion_id: Annotated[str, Path(pattern=MOTION_ID_PATTERN, description="The box's event id (hex)")],
    report: MotionReport,
    db: DB,
    authorization: Annotated[str, Header(description="Bearer <device upload token>")] = "",
) -> JSONResponse:
    """201 first report of the event, 200 a later one (its end, or a retry); the receipt echoes the id."""
    device = device_for_token(db, authorization)
    bound = own_camera(db, device, camera)
    try:
        stored = store_motion(db, device.id, bound, motion_id, report)
    except BadThumbnail as exc:
        raise HTTPException(422, str(exc)) from None
    if stored.created:
        try:
            with db.begin_nested():
                notify_motion(db, Policy.from_settings(services(request).settings), stored.event)
        except Exception:  # a notification problem must never refuse the event (the box would retry forever)
            log.exception("motion notification for %s failed", camera)
    receipt = {"camera": camera, "motion_id": motion_id, "ended": stored.event.end is not None}
    return JSONResponse(receipt, status_code=201 if stored.created else 200)
