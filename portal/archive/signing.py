"""Short-lived signed media tokens: let hls.js and apps fetch playlists and segments without a cookie.

token = "{expires}.{mac}" where mac = HMAC-SHA256(secret_key, "media|{camera_id}|{expires}"), base64url,
truncated to 128 bits. A token opens the media of exactly one camera until it expires.
"""

import base64
import hashlib
import hmac
import time

DEFAULT_TTL = 6 * 3600  # long enough to watch; playlists re-sign on every fetch


def _mac(secret: str, camera_id: str, expires: int) -> str:
    digest = hmac.new(secret.encode(), f"media|{camera_id}|{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def sign(secret: str, camera_id: str, ttl: int = DEFAULT_TTL, now: float | None = None) -> str:
    expires = int((now if now is not None else time.time()) + ttl)
    return f"{expires}.{_mac(secret, camera_id, expires)}"


def verify(secret: str, camera_id: str, token: str, now: float | None = None) -> bool:
    expires_text, _, mac = token.partition(".")
    if not expires_text.isdigit() or not mac:
        return False
    expires = int(expires_text)
    if expires < (now if now is not None else time.time()):
        return False
    return hmac.compare_digest(mac, _mac(secret, camera_id, expires))
