"""What the camera page's script needs besides the camera: the archive API URLs it calls, the optional ones
(thumbnails, motion events) only when their routes are registered, and whether live video is there to ask for.

An optional URL is None while its domain is not installed, so the page never requests a route that would 404.
"""

from fastapi import FastAPI
from sqlalchemy.orm import Session
from starlette.routing import NoMatchFound

from portal.archive.segments import newest_segments
from portal.models import utcnow
from portal.routers.live import STALE_AFTER  # past it the live playlist answers 503

# The archive domain's endpoints the camera page's script calls (docs/archive.md).
API = {
    "timeline": "/api/v1/cameras/{id}/timeline",
    "download": "/api/v1/cameras/{id}/download",
    "live": "/api/v1/cameras/{id}/live.m3u8",
    "archive": "/api/v1/cameras/{id}/archive.m3u8",
}
# Route names other domains register (downloads: sprite previews; motion: event marks), by the page's key.
OPTIONAL_ROUTES = {"thumbnails": "camera_thumbnails", "events": "camera_events"}
LIGHT_ROUTE = "camera_light"  # light live view (docs/live-light.md): only for a camera with a sub-stream


def route_path(app: FastAPI, name: str, camera_id: str) -> str | None:
    """The path of the registered route ``name`` for one camera, or None when no such route exists.

    Asked through url_path_for, which also looks inside included routers (FastAPI >= 0.16x keeps them nested)."""
    try:
        return str(app.url_path_for(name, camera_id=camera_id))
    except NoMatchFound:
        return None


def page_urls(app: FastAPI, camera_id: str, light: bool = False) -> dict[str, str | None]:
    """`light`: the camera's box can relay its sub-stream (portal.light.lease.capable)."""
    urls: dict[str, str | None] = {key: value.format(id=camera_id) for key, value in API.items()}
    for key, name in OPTIONAL_ROUTES.items():
        urls[key] = route_path(app, name, camera_id)
    urls["light"] = route_path(app, LIGHT_ROUTE, camera_id) if light else None
    return urls


def live_available(db: Session, camera_id: str) -> bool:
    """True when the live playlist would be served now (a fresh segment), so the page asks for it only then."""
    newest = newest_segments(db, camera_id, count=1)
    return bool(newest) and newest[0].end >= utcnow() - STALE_AFTER
