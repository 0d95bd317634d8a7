"""The technician UI application: FastAPI app built around a TechUi; pages live in routes_*.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from edge.techui import routes_cameras, routes_login, routes_status, routes_system, routes_update
from edge.techui.auth import CsrfFailed, LoginRequired, login_url
from edge.techui.formatting import FILTERS
from edge.techui.service import TechUi

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters.update(FILTERS)


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    ui: TechUi = request.app.state.ui
    session = getattr(request.state, "session", None)
    context.setdefault("csrf", session.csrf if session else "")
    context.setdefault("device_id", ui.device_id)
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def create_app(ui: TechUi) -> FastAPI:
    app = FastAPI(title=f"Dozor {ui.device_id}", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.ui = ui
    app.state.render = render
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Any:
        if exc.wants_html:
            return RedirectResponse(login_url(exc.next_path), status_code=303)
        return JSONResponse(
            {"detail": "нужен вход техника"},
            status_code=401,
            headers={"WWW-Authenticate": 'Cookie realm="dozor-technician"'},
        )

    @app.exception_handler(CsrfFailed)
    async def _csrf(request: Request, exc: CsrfFailed) -> Any:
        return render(
            request,
            "message.html",
            403,
            title="Форма устарела",
            message="Форма устарела или отправлена не с этой страницы. Обновите страницу и повторите.",
        )

    for module in (routes_login, routes_status, routes_cameras, routes_system, routes_update):
        app.include_router(module.router)
    return app
