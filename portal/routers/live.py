"""Live view: a sliding-window HLS playlist of the newest segments, and signed stream URLs for players."""

from datetime import timedelta

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel

from cloud_sync.segments import format_time
from portal.archive import signing
from portal.archive.authz import media_access, sign_for
from portal.archive.playlists import MediaUrls, live_playlist
from portal.archive.segments import newest_segments
from portal.deps import DB
from portal.models import utcnow

router = APIRouter(prefix="/api/v1/cameras", tags=["live"])
HLS = "application/vnd.apple.mpegurl"
STALE_AFTER = timedelta(minutes=2)  # newer than this, the live playlist is served


class StreamOut(BaseModel):
    live: str
    archive_template: str
    token: str
    expires: int


@router.get(
    "/{camera_id}/live.m3u8",
    responses={
        200: {"content": {HLS: {}}},
        503: {"description": "the camera is not sending video now (its state, not the request); retry later"},
    },
)
def live_hls(request: Request, camera_id: str, db: DB, token: str | None = None) -> Response:
    access = media_access(request, db, camera_id, token)
    camera = access.camera
    newest = newest_segments(db, camera.id, count=1)
    if not newest:
        raise HTTPException(404, f"camera {camera.id!r} has sent no video yet")
    if newest[0].end < utcnow() - STALE_AFTER:
        raise HTTPException(503, f"camera {camera.id!r} is not sending video (last at {format_time(newest[0].end)})")
    text = live_playlist(db, camera.id, access.urls(request))
    return Response(text, media_type=HLS, headers={"Cache-Control": "no-cache"})


@router.get("/{camera_id}/stream", response_model=StreamOut)
def stream_urls(request: Request, camera_id: str, db: DB) -> StreamOut:
    """Signed URLs for a player that sends no cookie (the mobile app). The token is bound to the caller's
    session and short-lived: call this again (with the session) before ``expires`` to renew it."""
    access = media_access(request, db, camera_id)
    camera = access.camera
    token = sign_for(request, camera.id, access.who)
    urls = MediaUrls(camera.id, token)
    return StreamOut(
        live=urls.live(),
        archive_template=f"/api/v1/cameras/{camera.id}/archive.m3u8?start={{start}}&end={{end}}&token={token}",
        token=token,
        expires=signing.expires_of(token),
    )
