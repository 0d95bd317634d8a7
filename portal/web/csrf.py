"""CSRF protection for every HTML form (double-submit, signed).

The browser holds a random ``dozor_csrf`` cookie (HttpOnly, SameSite=Strict); every form carries
``HMAC(secret_key, cookie)`` in a hidden ``csrf`` field. A cross-site page can neither read the cookie
nor compute the HMAC, so it cannot forge the field.
"""

import hashlib
import hmac
import secrets

from fastapi import HTTPException, Request
from starlette.responses import Response

CSRF_COOKIE = "dozor_csrf"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"  # JSON calls made by a page with the session cookie send the page's token here
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _secret(request: Request) -> bytes:
    return request.app.state.services.settings.secret_key.encode()


def _sign(request: Request, seed: str) -> str:
    return hmac.new(_secret(request), seed.encode(), hashlib.sha256).hexdigest()


def csrf_seed(request: Request) -> str:
    """The cookie value for this browser; a new one is made (and set by `attach_csrf_cookie`) when missing."""
    seed = getattr(request.state, "csrf_seed", None) or request.cookies.get(CSRF_COOKIE)
    if not seed or len(seed) > 100:
        seed = secrets.token_urlsafe(24)
    request.state.csrf_seed = seed
    return seed


def csrf_token(request: Request) -> str:
    return _sign(request, csrf_seed(request))


def attach_csrf_cookie(request: Request, response: Response) -> None:
    seed = getattr(request.state, "csrf_seed", None)
    if seed and seed != request.cookies.get(CSRF_COOKIE):
        settings = request.app.state.services.settings
        response.set_cookie(CSRF_COOKIE, seed, httponly=True, samesite="strict", secure=settings.secure_cookies)


async def verify_csrf(request: Request) -> None:
    """Dependency for every form POST: 403 unless the form's token matches the browser's cookie."""
    form = await request.form()
    sent = str(form.get(CSRF_FIELD, ""))
    seed = request.cookies.get(CSRF_COOKIE, "")
    if not seed or not hmac.compare_digest(sent, _sign(request, seed)):
        raise HTTPException(403, "CSRF: форма устарела или отправлена с чужого сайта — обновите страницу")


def verify_csrf_header(request: Request) -> None:
    """For state-changing JSON calls authenticated by the session cookie: the page's CSRF token must come in
    the X-CSRF-Token header (a cross-site page can make the browser send the cookie, not the header). Calls
    with a bearer token are not at risk — a browser never adds one on its own — and need no token."""
    if request.method in SAFE_METHODS or request.headers.get("authorization", "").lower().startswith("bearer "):
        return
    seed = request.cookies.get(CSRF_COOKIE, "")
    sent = request.headers.get(CSRF_HEADER, "")
    if not seed or not hmac.compare_digest(sent, _sign(request, seed)):
        raise HTTPException(403, "CSRF: a cookie-authenticated call needs the X-CSRF-Token header of the page")
