"""Timeline thumbnails (portal/archive/thumbnails.py): the tiles of a window as JSON, and their JPEG strip."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import BaseModel

from cloud_sync.segments import format_time
from portal.archive import thumbnails as th
from portal.archive.authz import MediaAccess, media_access, sign_for
from portal.archive.params import parse_window
from portal.archive.storage import ObjectNotFound, storage_of
from portal.billing.gate import visible_since
from portal.deps import DB, services

router = APIRouter(prefix="/api/v1/cameras", tags=["cameras"])
MAX_WINDOW = timedelta(days=31)

From = Annotated[str, Query(alias="from", description="ISO 8601 UTC")]
To = Annotated[str, Query(alias="to", description="ISO 8601 UTC")]
Tiles = Annotated[int, Query(ge=1, le=th.MAX_TILES, description="Tiles across the window")]
DEFAULT_TILES = 60


class TileOut(BaseModel):
    index: int
    time: str | None  # the moment the tile shows; None = no video in its part of the window


class ThumbnailsOut(BaseModel):
    sprite_url: str
    tile_width: int
    tile_height: int
    tiles: list[TileOut]


def _tiles(request: Request, db, camera_id: str, start: str, end: str, n: int, token: str | None):
    access = media_access(request, db, camera_id, token)
    lo, hi = parse_window(start, end)
    if hi - lo > MAX_WINDOW:
        raise HTTPException(422, "to: the window is longer than 31 days")
    since = visible_since(db, access.viewer, access.camera)
    tiles = th.tiles(db, access.camera.id, lo, hi, n, since)
    shown = next((t.segment for t in tiles if t.segment), None)
    storage = storage_of(services(request))
    height = th.tile_height(storage, shown.init_key) if shown else th.TILE_WIDTH * 9 // 16
    return access, tiles, height


@router.get("/{camera_id}/thumbnails", name="camera_thumbnails", response_model=ThumbnailsOut)
def camera_thumbnails(
    request: Request, camera_id: str, db: DB, start: From, end: To, n: Tiles = DEFAULT_TILES, token: str | None = None
) -> ThumbnailsOut:
    """Which moment each of the n tiles of the window shows, and the URL of their JPEG strip (one image,
    tiles left to right, ``tile_width`` x ``tile_height`` each). Ownership as for the timeline."""
    access, tiles, height = _tiles(request, db, camera_id, start, end, n, token)
    url = request.url_for("camera_thumbnail_sprite", camera_id=access.camera.id).include_query_params(
        **{"from": start, "to": end, "n": n, "token": _token(request, access)}
    )
    return ThumbnailsOut(
        sprite_url=str(url),
        tile_width=th.TILE_WIDTH,
        tile_height=height,
        tiles=[TileOut(index=t.index, time=format_time(t.time) if t.time else None) for t in tiles],
    )


def _token(request: Request, access: MediaAccess) -> str:
    """An <img> cannot send a bearer header: the strip URL carries a media token (the request's own, if any)."""
    return access.token or sign_for(request, access.camera.id, access.who)


@router.get(
    "/{camera_id}/thumbnails.jpg", name="camera_thumbnail_sprite", responses={200: {"content": {"image/jpeg": {}}}}
)
def camera_thumbnail_sprite(
    request: Request, camera_id: str, db: DB, start: From, end: To, n: Tiles = DEFAULT_TILES, token: str | None = None
) -> Response:
    _access, tiles, height = _tiles(request, db, camera_id, start, end, n, token)
    storage = storage_of(services(request))
    jpegs: list[bytes | None] = []
    for tile in tiles:
        jpeg = None
        if tile.segment is not None:
            try:
                jpeg = th.thumbnail(db, storage, tile.segment, height)
            except (th.NoKeyframe, ObjectNotFound):
                jpeg = None  # retention removed it meanwhile, or audio only: a black tile
        jpegs.append(jpeg)
    return Response(th.strip(jpegs, height), media_type="image/jpeg", headers={"Cache-Control": "private, max-age=60"})
