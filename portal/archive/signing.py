"""Short-lived signed media tokens: let hls.js and apps fetch playlists and segments without a cookie.

token = "{expires}.{mac}" where mac = HMAC-SHA256(secret_key, "media|{camera_id}|{expires}"), base64url,
truncated to 128 bits. A token opens the media of exactly one camera until it expires.
A token issued to a subscriber also names their contract ("{expires}~{contract}.{mac}", the contract inside the
MAC), so media fetched with it follow that contract's billing: archive depth and suspension (docs/billing.md).
"""

import base64
import hashlib
import hmac
import time

DEFAULT_TTL = 6 * 3600  # long enough to watch; playlists re-sign on every fetch


def _mac(secret: str, camera_id: str, expires: int, viewer: int | None = None) -> str:
    message = f"media|{camera_id}|{expires}" + (f"|{viewer}" if viewer is not None else "")
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def sign(
    secret: str, camera_id: str, ttl: int = DEFAULT_TTL, now: float | None = None, viewer: int | None = None
) -> str:
    expires = int((now if now is not None else time.time()) + ttl)
    head = f"{expires}" if viewer is None else f"{expires}~{viewer}"
    return f"{head}.{_mac(secret, camera_id, expires, viewer)}"


def _parts(token: str) -> tuple[int, int | None, str] | None:
    head, _, mac = token.partition(".")
    expires_text, tilde, viewer_text = head.partition("~")
    if not expires_text.isdigit() or not mac or (tilde and not viewer_text.isdigit()):
        return None
    return int(expires_text), (int(viewer_text) if tilde else None), mac


def verify(secret: str, camera_id: str, token: str, now: float | None = None) -> bool:
    parts = _parts(token)
    if parts is None:
        return False
    expires, viewer, mac = parts
    if expires < (now if now is not None else time.time()):
        return False
    return hmac.compare_digest(mac, _mac(secret, camera_id, expires, viewer))


def viewer(token: str) -> int | None:
    """The contract a (verified) token was issued to; None for tokens issued without one."""
    parts = _parts(token)
    return parts[1] if parts else None
