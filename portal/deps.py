"""FastAPI dependencies: the database session per request and the calling principal."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from portal.auth.sessions import SESSION_COOKIE, Principal, resolve
from portal.services import Services


@dataclass(frozen=True)
class SubscriberPrincipal(Principal):
    """A principal known to be a subscriber (what ``Subscriber`` and the page guard hand out): it has a contract."""

    contract_id: int


def as_subscriber(p: Principal) -> SubscriberPrincipal | None:
    if p.contract_id is None:
        return None
    return SubscriberPrincipal(session_id=p.session_id, contract_id=p.contract_id, operator_id=p.operator_id)


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


def operator(p: Annotated[Principal, Depends(principal)]) -> Principal:
    if not p.is_operator:
        raise HTTPException(403, "this call is for operators")
    return p


Subscriber = Annotated[SubscriberPrincipal, Depends(subscriber)]
Operator = Annotated[Principal, Depends(operator)]
AnyPrincipal = Annotated[Principal, Depends(principal)]
