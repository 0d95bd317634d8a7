"""A camera's motion events (JSON API) and their thumbnails; access as for the timeline (portal/archive/authz.py)."""

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import BaseModel

from cloud_sync.segments import format_time
from portal.archive.authz import media_access, sign_for
from portal.archive.params import parse_window
from portal.billing.gate import visible_since
from portal.deps import DB
from portal.motion.query import event_of_camera, events_between
from portal.params import BigRowId

router = APIRouter(prefix="/api/v1/cameras", tags=["motion"])
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
