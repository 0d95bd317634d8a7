"""FastAPI dependencies: the database session per request and the calling principal."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from portal.auth.sessions import SESSION_COOKIE, Principal, resolve
from portal.services import Services
from portal.web.csrf import verify_csrf_header


@dataclass(frozen=True)
class SubscriberPrincipal(Principal):
    """A principal known to be a subscriber (what ``Subscriber`` and the page guard hand out): it has a contract."""

    contract_id: int


def as_subscriber(p: Principal) -> SubscriberPrincipal | None:
    if p.contract_id is None:
        return None
    # Every field carries over: `auth` decides whether the session may change the account (password_subscriber).
    return SubscriberPrincipal(
        session_id=p.session_id, contract_id=p.contract_id, operator_id=p.operator_id, auth=p.auth
    )


def services(request: Request) -> Services:
    return request.app.state.services


def db_session(request: Request) -> Iterator[Session]:
    with services(request).db.session() as session:
        yield session


# scope="function": the unit of work commits before the response leaves. With the default ("request") the
# commit would run after the response is sent, and a client's next request (a redirect after login, a token
# just issued) could arrive before the session row is committed.
DB = Annotated[Session, Depends(db_session, scope="function")]


def bearer_or_cookie(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.cookies.get(SESSION_COOKIE)


def optional_principal(request: Request, db: DB) -> Principal | None:
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    token = bearer_or_cookie(request)
    principal = resolve(db, token) if token else None
    request.state.principal = principal
    return principal


def principal(p: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
    if p is None:
        raise HTTPException(401, "not logged in or the session has expired", headers={"WWW-Authenticate": "Bearer"})
    return p


def subscriber(p: Annotated[Principal, Depends(principal)]) -> SubscriberPrincipal:
    who = as_subscriber(p)
    if who is None:
        raise HTTPException(403, "this call is for subscribers")
    return who


def password_subscriber(p: Annotated[SubscriberPrincipal, Depends(subscriber)]) -> SubscriberPrincipal:
    """A subscriber whose session was opened with the contract's password (not a transparent login by IP).

    Use it (as `PasswordSubscriber`) on every JSON call that could take the account over or spend money:
    contacts, password, payments. An IP-only session gets 403 with how to log in with the password; pages use
    `portal.web.guards.PagePasswordSubscriber`, which leads to the password step-up page instead.
    """
    if not p.password_authenticated:
        raise HTTPException(
            403,
            "this call needs a session opened with the contract password (a transparent login by network address "
            "is not enough): log in with POST /api/v1/auth/login",
        )
    return p


def operator(request: Request, p: Annotated[Principal, Depends(principal)]) -> Principal:
    """An operator of the JSON API; a state-changing call made with the console's cookie (not a bearer token)
    must carry the CSRF token (portal.web.csrf.verify_csrf_header)."""
    if not p.is_operator:
        raise HTTPException(403, "this call is for operators")
    verify_csrf_header(request)
    return p


Subscriber = Annotated[SubscriberPrincipal, Depends(subscriber)]
PasswordSubscriber = Annotated[SubscriberPrincipal, Depends(password_subscriber)]
Operator = Annotated[Principal, Depends(operator)]
AnyPrincipal = Annotated[Principal, Depends(principal)]
