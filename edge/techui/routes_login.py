"""Login and logout: argon2-checked password, lockout after repeated failures."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from edge.techui.auth import client_address
from edge.techui.sessions import COOKIE
from edge.techui.throttle import attempt_login

router = APIRouter()


def _safe_next(next_path: str) -> str:
    """Only local paths: a login link must not bounce the technician to another site."""
    return next_path if next_path.startswith("/") and not next_path.startswith("//") else "/"


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    ui = request.app.state.ui
    return request.app.state.render(
        request, "login.html", next=_safe_next(next), error=None, closed=not ui.passwords.configured
    )


@router.post("/login")
def login(request: Request, password: str = Form(""), next: str = Form("/")) -> Response:
    ui = request.app.state.ui
    render = request.app.state.render
    client = client_address(request)
    attempt = attempt_login(ui.throttle, client, ui.passwords.verify, password)
    if attempt.retry_after > 0:
        return render(
            request,
            "login.html",
            429,
            next=_safe_next(next),
            closed=False,
            error=f"Слишком много неудачных попыток. Повторите через {int(attempt.retry_after) + 1} с.",
        )
    if not attempt.ok:
        error = "Неверный пароль." if ui.passwords.configured else "Пароль техника не задан: вход закрыт."
        return render(
            request, "login.html", 401, next=_safe_next(next), error=error, closed=not ui.passwords.configured
        )
    token, _ = ui.sessions.create()
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", max_age=int(ui.sessions.lifetime))
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    request.app.state.ui.sessions.drop(request.cookies.get(COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response
