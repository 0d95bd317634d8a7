"""Page guards: who may open a page. Anonymous visitors are redirected to the right login page;
a logged-in principal of the wrong kind gets 403."""

from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from portal.auth.sessions import Principal
from portal.deps import SubscriberPrincipal, as_subscriber, optional_principal


class LoginRequired(Exception):
    def __init__(self, login_url: str, next_url: str) -> None:
        self.location = f"{login_url}?next={quote(next_url, safe='/')}"


STEP_UP_URL = "/login/confirm"


def _return_to(request: Request) -> str:
    """Where to go back after the step-up: this page (GET), or the page the form was posted from."""
    if request.method == "GET":
        return _next_of(request)
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc and referer.netloc != request.url.netloc:
        return "/cameras"
    return safe_next(referer.path + (f"?{referer.query}" if referer.query else ""), "/cameras")


def _next_of(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def page_subscriber(
    request: Request, who: Annotated[Principal | None, Depends(optional_principal)]
) -> SubscriberPrincipal:
    if who is None:
        raise LoginRequired("/login", _next_of(request))
    subscriber = as_subscriber(who)
    if subscriber is None:
        raise HTTPException(403, "Эта страница — для абонентов")
    return subscriber


def page_operator(request: Request, who: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
    if who is None:
        raise LoginRequired("/operator/login", _next_of(request))
    if not who.is_operator:
        raise HTTPException(403, "Эта страница — для операторов")
    return who


def page_password_subscriber(
    request: Request, who: Annotated[SubscriberPrincipal, Depends(page_subscriber)]
) -> SubscriberPrincipal:
    """A subscriber logged in with the password. A transparent (IP-only) session is sent to the step-up page,
    which says why in Russian and asks for the password (or offers recovery by SMS to a bound phone)."""
    if not who.password_authenticated:
        raise LoginRequired(STEP_UP_URL, _return_to(request))
    return who


PageSubscriber = Annotated[SubscriberPrincipal, Depends(page_subscriber)]
PagePasswordSubscriber = Annotated[SubscriberPrincipal, Depends(page_password_subscriber)]
PageOperator = Annotated[Principal, Depends(page_operator)]


def safe_next(value: str | None, default: str) -> str:
    """Only local paths: an open redirect after login would hand phishers a trusted link."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def install(app: FastAPI) -> None:
    async def to_login(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)  # registered for LoginRequired only
        return RedirectResponse(exc.location, status_code=303)

    app.add_exception_handler(LoginRequired, to_login)
