"""Per-request authorisation of a camera's archive and live media: a session (cookie or bearer) that
may view the camera, or a signed media token for exactly that camera."""

from fastapi import HTTPException, Request
from sqlalchemy.orm import Session

from portal.access import can_view
from portal.archive import signing
from portal.billing.gate import require_service
from portal.deps import optional_principal, services
from portal.models import Camera


def camera_for_request(request: Request, db: Session, camera_id: str, token: str | None = None) -> Camera:
    """The camera, or 401 (nobody logged in, no valid token) / 403 (not theirs)."""
    if token:
        if not signing.verify(services(request).settings.secret_key, camera_id, token):
            raise HTTPException(403, "media token is invalid, expired or for another camera")
        camera = db.get(Camera, camera_id)
        if camera is None:
            raise HTTPException(403, "media token is invalid, expired or for another camera")
        require_service(db, signing.viewer(token))  # a subscriber's token follows their billing
        return camera
    who = optional_principal(request, db)
    if who is None:
        raise HTTPException(
            401,
            "not logged in (session cookie, bearer token or media token required)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    camera = can_view(db, who, camera_id)
    if camera is None:
        raise HTTPException(403, f"camera {camera_id!r} is not one of yours")
    return camera


def viewer_of(request: Request, db: Session, token: str | None = None) -> int | None:
    """The contract whose billing (archive depth) applies: the token's, else the session's; None = operator."""
    if token:
        return signing.viewer(token)
    who = optional_principal(request, db)
    return who.contract_id if who is not None else None
