"""Archive playback (HLS), the media objects behind playlists, and clip downloads."""

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse

from cloud_sync.segments import format_time
from portal.archive.authz import camera_for_request, media_access
from portal.archive.clip import coalesce, open_clip
from portal.archive.downloads import ClipPlan, ClipRefused, Fetching, FilePlan, plan_clip, plan_file
from portal.archive.file_response import disposition, file_response
from portal.archive.params import parse_instant, parse_window
from portal.archive.playlists import archive_playlist
from portal.archive.progressive import CodecChanged
from portal.archive.segments import init_key_of, segment_by_id
from portal.archive.storage import ObjectNotFound, storage_of
from portal.billing.gate import visible_depth_days, visible_since
from portal.deps import DB, services
from portal.models import Contract, utcnow
from portal.params import BigRowId

router = APIRouter(prefix="/api/v1/cameras", tags=["archive"])
HLS = "application/vnd.apple.mpegurl"
RETRY_SECONDS = 5


def _past_depth(what: str) -> HTTPException:
    return HTTPException(403, f"{what} is older than the archive depth of your tariff")


@router.get("/{camera_id}/archive.m3u8", responses={200: {"content": {HLS: {}}}})
def archive_hls(request: Request, camera_id: str, db: DB, start: str, end: str, token: str | None = None) -> Response:
    access = media_access(request, db, camera_id, token)
    camera = access.camera
    lo, hi = parse_window(start, end, ("start", "end"))
    lo = max(lo, visible_since(db, access.viewer, camera))
    if lo >= hi:
        raise _past_depth("the requested range")
    try:
        text = archive_playlist(db, camera.id, lo, hi, access.urls(request, span=(hi - lo).total_seconds()))
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    if text is None:
        raise HTTPException(404, f"no video recorded between {format_time(lo)} and {format_time(hi)}")
    return Response(text, media_type=HLS, headers={"Cache-Control": "private, no-cache"})


@router.get("/{camera_id}/init/{run_pk}.mp4", responses={200: {"content": {"video/mp4": {}}}})
def init_segment(request: Request, camera_id: str, run_pk: BigRowId, db: DB, token: str | None = None) -> Response:
    camera = camera_for_request(request, db, camera_id, token)
    return _object(request, init_key_of(db, camera.id, run_pk), "video/mp4", f"init {run_pk}")


@router.get("/{camera_id}/segments/{segment_id}.m4s", responses={200: {"content": {"video/iso.segment": {}}}})
def media_segment(request: Request, camera_id: str, segment_id: BigRowId, db: DB, token: str | None = None) -> Response:
    access = media_access(request, db, camera_id, token)
    camera = access.camera
    # Bound to the authorised camera: another camera's segment id is simply not found here.
    ref = segment_by_id(db, camera.id, segment_id, playable_only=False)
    if ref is not None and ref.end <= visible_since(db, access.viewer, camera):
        raise _past_depth(f"segment {segment_id}")
    return _object(request, ref.object_key if ref else None, "video/iso.segment", f"segment {segment_id}")


def _object(request: Request, key: str | None, media_type: str, what: str) -> Response:
    if not key:
        raise HTTPException(404, f"{what} does not exist for this camera")
    try:
        data = storage_of(services(request)).read(key)
    except ObjectNotFound:
        raise HTTPException(404, f"{what} is gone (past retention)") from None
    # Objects never change under a key: let players and proxies cache them.
    return Response(data, media_type=media_type, headers={"Cache-Control": "private, max-age=86400, immutable"})


@router.api_route(
    "/{camera_id}/download",
    methods=["GET"],  # HEAD is registered below, out of the schema: one operation id per documented operation
    responses={
        200: {"content": {"video/mp4": {}}},
        202: {"description": "being fetched from the box; retry"},
        206: {"description": "the byte range asked for (Range, If-Range)"},
        409: {"description": "the codec changes inside the range (progressive format)"},
        416: {"description": "the Range starts past the end of the file"},
    },
)
async def download(
    request: Request,
    camera_id: str,
    start: Annotated[str, Query(description="ISO 8601 UTC; the cursor position")],
    duration: Annotated[
        float, Query(gt=0, allow_inf_nan=False, description="Seconds: 60, 300, 600, 1800, 3600 or custom")
    ],
    token: str | None = None,
    format: Annotated[
        Literal["mp4", "fmp4"],
        Query(description="mp4: progressive, size known, Range/resume (default); fmp4: fragmented stream"),
    ] = "mp4",
) -> Response:
    svc = services(request)
    moment = parse_instant("start", start)
    plan = await run_in_threadpool(_plan, request, camera_id, token, moment, duration, format == "mp4")
    if isinstance(plan, Fetching):
        ranges = [{"start": format_time(s), "end": format_time(e)} for s, e in plan.ranges]
        return JSONResponse(
            {
                "status": "fetching",
                "detail": "the box is uploading this range now; retry shortly",
                "fetching": ranges,
                "retry_after": RETRY_SECONDS,
            },
            status_code=202,
            headers={"Retry-After": str(RETRY_SECONDS)},
        )
    storage = storage_of(svc)
    if isinstance(plan, FilePlan):
        return file_response(request, storage, plan.file, plan.filename)
    stream = coalesce(open_clip(storage, plan.segments, plan.start, plan.end))
    headers = {"Content-Disposition": disposition(plan.filename)}
    return StreamingResponse(stream, media_type="video/mp4", headers=headers)


# HEAD (size and ETag before a resumed download) runs the same handler; file_response answers it without a body.
router.add_api_route("/{camera_id}/download", download, methods=["HEAD"], include_in_schema=False)


def _plan(
    request: Request, camera_id: str, token: str | None, start, duration: float, progressive: bool
) -> ClipPlan | FilePlan | Fetching:
    """The clip's segments or, for the progressive format, its file layout: one thread hop, one DB session."""
    svc = services(request)
    with svc.db.session() as db:
        access = media_access(request, db, camera_id, token)
        camera, who = access.camera, access.who
        contract = db.get(Contract, who.contract_id) if who.contract_id else None
        tz = contract.tz if contract and contract.tz else svc.settings.display_tz
        try:
            depth = visible_depth_days(db, access.viewer, camera)
            if progressive:
                return plan_file(db, storage_of(svc), svc.commands, camera, start, duration, utcnow(), tz, depth)
            return plan_clip(db, svc.db.session, svc.commands, camera, start, duration, utcnow(), tz, depth)
        except Fetching as fetching:
            return fetching
        except ClipRefused as exc:
            raise HTTPException(exc.status, exc.detail) from None
        except CodecChanged as exc:
            raise HTTPException(409, str(exc)) from None
