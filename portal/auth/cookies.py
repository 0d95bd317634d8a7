"""The session cookie: HttpOnly, SameSite=Lax, Secure behind TLS; persistent only with «Запомнить»."""

from starlette.requests import Request
from starlette.responses import Response

from portal.auth.sessions import SESSION_COOKIE


def set_session_cookie(request: Request, response: Response, token: str, *, remember_days: int | None) -> None:
    settings = request.app.state.services.settings
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=remember_days * 86400 if remember_days else None,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
