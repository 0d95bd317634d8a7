"""Signed media tokens: let hls.js and apps fetch playlists and segments without a cookie.

token = "{session_id}.{expires}.{mac}" where mac = HMAC-SHA256(secret_key, "media|{camera}|{session}|{expires}"),
base64url, truncated to 128 bits. The signature only says who the token was issued to: every request that
carries it is re-authorised against that login session (not revoked, not expired, its contract may still view
media and still sees the camera; portal/archive/authz.py), so logout, revocation, password reset, a disabled
contract or a lost camera end it at once. Tokens are short-lived and never renewed from a token: a fresh one
is signed only for a request authenticated by the live session itself (cookie or bearer).
"""

import base64
import hashlib
import hmac
import re
import time
from dataclasses import dataclass

DEFAULT_TTL = 300  # seconds; live playlists fetched with the session re-sign on every reload
# ASCII digits only, bounded: no real session id or expiry needs more, and int() of a huge string is slow.
_TOKEN = re.compile(r"(?P<session>[0-9]{1,18})\.(?P<expires>[0-9]{1,12})\.(?P<mac>[A-Za-z0-9_-]{1,64})")


@dataclass(frozen=True)
class MediaGrant:
    """What a valid token says: the login session it was issued to, and when it ends (unix seconds)."""

    session_id: int
    expires: int


def _mac(secret: str, camera_id: str, session_id: int, expires: int) -> str:
    message = f"media|{camera_id}|{session_id}|{expires}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def sign(secret: str, camera_id: str, session_id: int, ttl: float = DEFAULT_TTL, now: float | None = None) -> str:
    expires = int((now if now is not None else time.time()) + ttl)
    return f"{session_id}.{expires}.{_mac(secret, camera_id, session_id, expires)}"


def expires_of(token: str) -> int:
    """The expiry (unix seconds) written in a token we signed."""
    return int(token.split(".")[1])


def verify(secret: str, camera_id: str, token: str, now: float | None = None) -> MediaGrant | None:
    """The grant if the token was signed by us for this camera and has not expired; None otherwise.

    The caller still has to check the grant's session (``authz.camera_for_request`` does)."""
    match = _TOKEN.fullmatch(token)
    if match is None:
        return None
    session_id, expires, mac = int(match["session"]), int(match["expires"]), match["mac"]
    if expires < (now if now is not None else time.time()):
        return None
    if not hmac.compare_digest(mac, _mac(secret, camera_id, session_id, expires)):
        return None
    return MediaGrant(session_id, expires)
