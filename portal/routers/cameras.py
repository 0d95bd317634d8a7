"""The subscriber's cameras, each camera's archive timeline, and snapshots (JSON API)."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy import select

from cloud_sync.segments import format_time
from portal.access import visible_cameras
from portal.archive.authz import camera_for_request, viewer_of
from portal.archive.params import parse_instant, parse_window
from portal.archive.snapshot import NoVideo, snapshot_jpeg
from portal.archive.timeline import timeline
from portal.billing.gate import visible_depth_days
from portal.deps import DB, AnyPrincipal, services
from portal.models import ArchiveCamera, Camera, utcnow

router = APIRouter(prefix="/api/v1/cameras", tags=["cameras"])
RECENT = timedelta(seconds=30)  # a segment this fresh means the camera is sending video


class CameraOut(BaseModel):
    id: str
    name: str
    address: str
    online: bool
    retention_days: int
    state: str
    shared: bool
    last_video: str | None


class RangeOut(BaseModel):
    start: str
    end: str


class GapOut(RangeOut):
    reason: str


class TimelineOut(BaseModel):
    ranges: list[RangeOut]
    gaps: list[GapOut]
    fetching: list[RangeOut]


def address_line(camera: Camera) -> str:
    """The seed's form: «Шахтёров 30 п.1 — г.Новокузнецк, ул.Шахтёров 30»."""
    address = camera.address or (camera.device.address if camera.device else None)
    return f"{address.short} — {address.full}" if address else ""


@router.get("", response_model=list[CameraOut])
def list_cameras(who: AnyPrincipal, db: DB) -> list[CameraOut]:
    cameras = visible_cameras(db, who)
    latest = dict(
        db.execute(
            select(ArchiveCamera.camera_id, ArchiveCamera.last_segment_end).where(
                ArchiveCamera.camera_id.in_([c.id for c in cameras])
            )
        ).all()
    )
    now = utcnow()
    return [
        CameraOut(
            id=c.id,
            name=c.name,
            address=address_line(c),
            online=c.online or (latest.get(c.id) is not None and latest[c.id] > now - RECENT),
            retention_days=visible_depth_days(db, who.contract_id, c),
            state=c.state,
            shared=c.owner_contract_id is None,
            last_video=format_time(latest[c.id]) if latest.get(c.id) else None,
        )
        for c in cameras
    ]


@router.get("/{camera_id}/timeline", response_model=TimelineOut)
def camera_timeline(
    request: Request,
    camera_id: str,
    db: DB,
    start: Annotated[str, Query(alias="from", description="ISO 8601 UTC")],
    end: Annotated[str, Query(alias="to", description="ISO 8601 UTC")],
    resolution: Annotated[float, Query(ge=0, le=86400, description="Join ranges closer than this (s)")] = 0.0,
    token: str | None = None,
) -> TimelineOut:
    camera = camera_for_request(request, db, camera_id, token)
    lo, hi = parse_window(start, end)
    if hi - lo > timedelta(days=31):
        raise HTTPException(422, "to: the window is longer than 31 days")
    depth = visible_depth_days(db, viewer_of(request, db, token), camera)
    result = timeline(db, camera.id, lo, hi, resolution, depth_days=depth)
    return TimelineOut(
        ranges=[RangeOut(start=format_time(s), end=format_time(e)) for s, e in result.ranges],
        gaps=[GapOut(start=format_time(g.start), end=format_time(g.end), reason=g.reason) for g in result.gaps],
        fetching=[RangeOut(start=format_time(s), end=format_time(e)) for s, e in result.fetching],
    )


@router.get("/{camera_id}/snapshot.jpg", responses={200: {"content": {"image/jpeg": {}}}})
def camera_snapshot(
    request: Request, camera_id: str, db: DB, at: str | None = None, token: str | None = None
) -> Response:
    camera = camera_for_request(request, db, camera_id, token)
    moment = parse_instant("at", at) if at else None
    try:
        jpeg = snapshot_jpeg(services(request), camera.id, moment)
    except NoVideo as exc:
        raise HTTPException(404, str(exc)) from None
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=5"})
