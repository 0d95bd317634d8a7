"""Light live view (docs/live-light.md): the boxes' relayed sub-stream segments (ingest, device token) and the
viewers' playlist and segments (access as for live view, portal/archive/authz.py)."""

import math
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from cloud_sync.light import LIGHT_CONTENT_TYPE, MAX_LIGHT_BYTES
from cloud_sync.segments import HEADER_DURATION, HEADER_SHA256, ID_PATTERN, INGEST_PREFIX
from portal.archive.authz import media_access
from portal.deps import DB, services
from portal.ingest import headers as hdr
from portal.ingest.body import receive
from portal.ingest.devices import device_for_token, own_camera
from portal.light.lease import LightUnavailable, lease_live, watch_async
from portal.light.playlist import light_playlist
from portal.light.store import segment_data, store_segment
from portal.models import utcnow
from portal.params import BigRowId

router = APIRouter(prefix="/api/v1/cameras", tags=["live"])
ingest_router = APIRouter(prefix=f"{INGEST_PREFIX}/cameras", tags=["ingest"])
HLS = "application/vnd.apple.mpegurl"
CameraId = Annotated[str, Path(pattern=ID_PATTERN, description="Camera id")]
Authorization = Annotated[str, Header(description="Bearer <device upload token>")]
LightSeq = Annotated[int, Path(ge=0, le=2**31 - 1, description="Segment number within the relay run")]
MAX_LIGHT_SECONDS = 10.0


def light_segment_path(camera_id: str, segment_id: int, token: str) -> str:
    return f"/api/v1/cameras/{camera_id}/light/{segment_id}.ts?token={token}"


@router.get(
    "/{camera_id}/light.m3u8",
    name="camera_light",
    responses={
        200: {"content": {HLS: {}}},
        404: {"description": "the camera has no light stream (no sub-stream configured on its box)"},
        503: {"description": "the box is offline or its relay has not started yet; retry shortly"},
    },
)
async def light_hls(request: Request, camera_id: str, token: str | None = None) -> Response:
    """The light (sub-stream) live playlist. Each fetch keeps the box relaying; nobody fetching, it stops."""
    portal = services(request)
    media_token = await run_in_threadpool(_media_token, request, camera_id, token)
    try:
        refs = await watch_async(portal, camera_id)  # waits on the loop, not on a pool thread
    except LightUnavailable as exc:
        raise HTTPException(exc.status, str(exc)) from None
    text = light_playlist(refs, lambda sid: light_segment_path(camera_id, sid, media_token))
    return Response(text, media_type=HLS, headers={"Cache-Control": "no-store"})


def _media_token(request: Request, camera_id: str, token: str | None) -> str:
    """Access as for live view; committed before the wait: the box's uploads must get in meanwhile."""
    with services(request).db.session() as db:
        return media_access(request, db, camera_id, token).urls(request).token


@router.get("/{camera_id}/light/{segment_id}.ts", responses={200: {"content": {LIGHT_CONTENT_TYPE: {}}}})
def light_segment(request: Request, camera_id: str, segment_id: BigRowId, db: DB, token: str | None = None) -> Response:
    media_access(request, db, camera_id, token)
    keep = timedelta(seconds=services(request).settings.light_keep_seconds)
    data = segment_data(db, camera_id, segment_id, utcnow() - keep)
    if data is None:
        raise HTTPException(404, f"light segment {segment_id} of camera {camera_id!r} is gone (kept about a minute)")
    return Response(data, media_type=LIGHT_CONTENT_TYPE, headers={"Cache-Control": "no-store"})


def _accept(request: Request, camera_id: str, authorization: str) -> None:
    """401 bad token, 403 not this box's camera, 409 no viewer asked for its light stream (the box stops then)."""
    with services(request).db.session() as db:
        own_camera(db, device_for_token(db, authorization), camera_id)
        if not lease_live(db, camera_id, utcnow()):
            raise HTTPException(409, f"camera {camera_id!r}: nobody is watching its light stream (no live lease)")


def _duration(raw: str | None) -> float:
    try:
        value = float(raw or "")
    except ValueError:
        raise HTTPException(400, f"{HEADER_DURATION}: {raw!r} is not a number of seconds") from None
    if not math.isfinite(value) or not 0 < value <= MAX_LIGHT_SECONDS:
        raise HTTPException(400, f"{HEADER_DURATION}: {value} must be in (0, {MAX_LIGHT_SECONDS:g}] seconds")
    return value


@ingest_router.put(
    "/{camera}/light/{run}/{seq}",
    status_code=201,
    responses={200: {"description": "already stored with the same checksum"}},
)
async def put_light(
    request: Request, camera: CameraId, run: str, seq: LightSeq, authorization: Authorization = ""
) -> JSONResponse:
    """One relayed light segment (MPEG-TS), live only: kept about a minute, never archived."""
    await run_in_threadpool(_accept, request, camera, authorization)
    hdr.check_run(run)
    hdr.check_content_type(request.headers.get("content-type"), LIGHT_CONTENT_TYPE)
    length = (request.headers.get("content-length") or "").strip()
    if length.isascii() and length.isdigit() and int(length) > MAX_LIGHT_BYTES:
        raise HTTPException(413, f"Content-Length {length} exceeds the limit of {MAX_LIGHT_BYTES} bytes")
    sha256 = hdr.parse_sha256(request.headers.get(HEADER_SHA256), required=True)
    duration = _duration(request.headers.get(HEADER_DURATION))
    body = await receive(request.stream(), MAX_LIGHT_BYTES)
    try:
        if body.sha256 != sha256:
            raise HTTPException(400, f"{HEADER_SHA256}: does not match the body (got {body.sha256})")
        data = b"".join(body.chunks())
    finally:
        body.close()

    def store() -> str:
        with services(request).db.session() as db:
            return store_segment(db, camera, run, seq, duration, data, utcnow())

    outcome = await run_in_threadpool(store)
    if outcome == "conflict":
        raise HTTPException(409, f"light segment {run}/{seq} was already uploaded with different bytes")
    receipt = {"stored": outcome, "camera_id": camera, "run_id": run, "seq": seq, "sha256": sha256}
    return JSONResponse(receipt, status_code=201 if outcome == "created" else 200)
