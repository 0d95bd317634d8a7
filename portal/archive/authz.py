"""Per-request authorisation of a camera's archive and live media: a session (cookie or bearer) that may watch
the camera, or a signed media token of a session that still may (docs/archive.md, "Media tokens").

Both ways end up at the same question, asked on every request: is the login session live, may its contract
still watch video (``access.may_view_media``) and does it still see this camera (``access.can_view``)?
"""

from dataclasses import dataclass

from fastapi import HTTPException, Request
from sqlalchemy.orm import Session

from portal.access import can_view_media
from portal.archive import signing
from portal.archive.playlists import MAX_ARCHIVE_PLAYLIST, MediaUrls
from portal.auth.sessions import Principal, live_session
from portal.deps import optional_principal, services
from portal.models import Camera

TOKEN_REFUSED = "media token is invalid, expired, for another camera, or its session has ended"


@dataclass(frozen=True)
class MediaAccess:
    """An authorised media request: the camera, who is watching, and the token it came with (if any)."""

    camera: Camera
    who: Principal
    token: str | None = None

    @property
    def viewer(self) -> int | None:
        """The contract whose billing (archive depth) applies; None = an operator."""
        return self.who.contract_id

    def urls(self, request: Request, span: float = 0.0) -> MediaUrls:
        """URLs for a playlist's objects. A request that came with a token passes that same token on: a token
        never buys a fresh one, so a leaked URL dies with its token. A request authenticated by the session
        itself gets a fresh token of that session, valid for ``media_token_ttl`` plus ``span`` seconds (the
        length of a VOD playlist, so its last segment is still reachable when the player gets there)."""
        if self.token is not None:
            return MediaUrls(self.camera.id, self.token)
        return MediaUrls(self.camera.id, sign_for(request, self.camera.id, self.who, span))


def sign_for(request: Request, camera_id: str, who: Principal, span: float = 0.0) -> str:
    settings = services(request).settings
    span = min(max(span, 0.0), MAX_ARCHIVE_PLAYLIST.total_seconds())
    return signing.sign(settings.secret_key, camera_id, who.session_id, ttl=settings.media_token_ttl + span)


def media_access(request: Request, db: Session, camera_id: str, token: str | None = None) -> MediaAccess:
    """The authorised request, or 401 (nobody logged in, no token) / 403 (token refused, or not theirs)."""
    if token:
        grant = signing.verify(services(request).settings.secret_key, camera_id, token)
        who = live_session(db, grant.session_id) if grant is not None else None
        camera = can_view_media(db, who, camera_id) if who is not None else None
        if camera is None or who is None:
            raise HTTPException(403, TOKEN_REFUSED)
        return MediaAccess(camera, who, token)
    who = optional_principal(request, db)
    if who is None:
        raise HTTPException(
            401,
            "not logged in (session cookie, bearer token or media token required)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    camera = can_view_media(db, who, camera_id)
    if camera is None:
        raise HTTPException(403, f"camera {camera_id!r} is not one of yours")
    return MediaAccess(camera, who)


def camera_for_request(request: Request, db: Session, camera_id: str, token: str | None = None) -> Camera:
    """The camera of an authorised media request (see ``media_access``)."""
    return media_access(request, db, camera_id, token).camera
