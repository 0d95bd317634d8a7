"""The Jinja2 environment of the web UI and the helpers every page uses.

`render()` is the one way pages are produced: it adds the CSRF token, the current principal and the
display time zone, and sets the CSRF cookie when the browser has none yet.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.responses import Response

from portal.web.csrf import CSRF_FIELD, attach_csrf_cookie, csrf_token
from portal.web.labels import ru

TEMPLATES_DIR = Path(__file__).parent / "templates"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


def zone(name: str | None, default: str = "UTC") -> ZoneInfo:
    try:
        return ZoneInfo(name or default)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(default)


def local_time(value: datetime | None, tz: str | None = None, fmt: str = "%d.%m.%Y %H:%M") -> str:
    """A UTC instant shown in the subscriber's zone (storage is UTC everywhere, display is local)."""
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone(tz)).strftime(fmt)


templates.env.filters["localtime"] = local_time
templates.env.filters["ru"] = ru


@dataclass(frozen=True)
class NavItem:
    key: str  # compared with the page's `active` to highlight the current section
    title: str
    href: str


# Console sections other domains add (e.g. fleet's «Оборудование»), rendered after the cabinet's own.
OPERATOR_NAV: list[NavItem] = []


def register_operator_nav(key: str, title: str, href: str) -> None:
    """Link a domain's console page in the operator nav (the app factory calls it for each Domain.console_nav)."""
    if all(item.key != key for item in OPERATOR_NAV):
        OPERATOR_NAV.append(NavItem(key, title, href))


templates.env.globals["operator_nav"] = OPERATOR_NAV


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    """Render a page with the shared context; `tz` in context (the subscriber's zone) feeds `localtime`."""
    settings = request.app.state.services.settings
    context.setdefault("tz", settings.display_tz)
    context.setdefault("form", {})
    context.setdefault("principal", getattr(request.state, "principal", None))
    context["csrf_field"] = CSRF_FIELD
    context["csrf_token"] = token = csrf_token(request)
    context["csrf_input"] = Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{token}">')
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    attach_csrf_cookie(request, response)
    return response
