"""Live view: a sliding-window HLS playlist of the newest segments, and signed stream URLs for players."""

from datetime import timedelta

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel

from cloud_sync.segments import format_time
from portal.archive import signing
from portal.archive.authz import camera_for_request, viewer_of
from portal.archive.playlists import MediaUrls, live_playlist
from portal.archive.segments import newest_segments
from portal.deps import DB, services
from portal.models import utcnow

router = APIRouter(prefix="/api/v1/cameras", tags=["live"])
HLS = "application/vnd.apple.mpegurl"
STALE_AFTER = timedelta(minutes=2)  # newer than this, the live playlist is served


class StreamOut(BaseModel):
    live: str
    archive_template: str
    token: str
    expires: int


@router.get("/{camera_id}/live.m3u8", responses={200: {"content": {HLS: {}}}})
def live_hls(request: Request, camera_id: str, db: DB, token: str | None = None) -> Response:
    camera = camera_for_request(request, db, camera_id, token)
    newest = newest_segments(db, camera.id, count=1)
    if not newest:
        raise HTTPException(404, f"camera {camera.id!r} has sent no video yet")
    if newest[0].end < utcnow() - STALE_AFTER:
        raise HTTPException(503, f"camera {camera.id!r} is not sending video (last at {format_time(newest[0].end)})")
    viewer = viewer_of(request, db, token)
    urls = MediaUrls(camera.id, signing.sign(services(request).settings.secret_key, camera.id, viewer=viewer))
    return Response(live_playlist(db, camera.id, urls), media_type=HLS, headers={"Cache-Control": "no-cache"})


@router.get("/{camera_id}/stream", response_model=StreamOut)
def stream_urls(request: Request, camera_id: str, db: DB) -> StreamOut:
    """Signed URLs for a player that sends no cookie (hls.js in an embed, the mobile app)."""
    camera = camera_for_request(request, db, camera_id)
    token = signing.sign(services(request).settings.secret_key, camera.id, viewer=viewer_of(request, db))
    urls = MediaUrls(camera.id, token)
    return StreamOut(
        live=urls.live(),
        archive_template=f"/api/v1/cameras/{camera.id}/archive.m3u8?start={{start}}&end={{end}}&token={token}",
        token=token,
        expires=int(token.split(".")[0].split("~")[0]),
    )
