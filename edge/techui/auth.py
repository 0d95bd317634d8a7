"""Every page requires a technician login: HTML requests are redirected to /login, the rest get 401."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request

from edge.techui.sessions import COOKIE, Session


class LoginRequired(Exception):
    def __init__(self, wants_html: bool, next_path: str) -> None:
        self.wants_html = wants_html
        self.next_path = next_path


class CsrfFailed(Exception):
    """A form was posted without this session's token (a forged cross-site request, or a stale page)."""


def login_url(next_path: str) -> str:
    return "/login?next=" + quote(next_path, safe="/")


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def require_session(request: Request) -> Session:
    ui = request.app.state.ui
    session = ui.sessions.get(request.cookies.get(COOKIE))
    if session is None:
        accept = request.headers.get("accept", "")
        wants_html = request.method == "GET" and "text/html" in accept
        raise LoginRequired(wants_html, request.url.path)
    request.state.session = session
    return session


async def require_form_session(request: Request) -> Session:
    """For POSTs: a session and the session's CSRF token in the form."""
    session = require_session(request)
    form = await request.form()
    if form.get("csrf") != session.csrf:
        raise CsrfFailed()
    return session
