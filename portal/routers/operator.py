"""The operator console's cabinet part: login, contracts, addresses, IP bindings, password reset, SMS outbox."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from portal.auth import throttle
from portal.auth.client_ip import client_ip
from portal.auth.cookies import clear_session_cookie, set_session_cookie
from portal.auth.sessions import open_session, revoke
from portal.cabinet.operators import authenticate_operator
from portal.deps import DB, optional_principal, services
from portal.models import Contract
from portal.web.csrf import verify_csrf
from portal.web.guards import PageOperator, safe_next
from portal.web.templating import local_time, render

router = APIRouter(prefix="/operator", tags=["operator console"])
Csrf = Depends(verify_csrf)


@router.get("/login")
def login_page(request: Request, next: str = "") -> Response:
    return render(request, "operator/login.html", next=safe_next(next, "/operator/contracts"))


@router.post("/login", dependencies=[Csrf])
def login(
    request: Request,
    db: DB,
    login: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    settings = services(request).settings
    keys = {"ip": client_ip(request), "contract": "op:" + login.strip()[:60]}
    target = safe_next(next, "/operator/contracts")
    locked = throttle.active_lockout(db, keys)
    if locked:
        until = local_time(locked.until, settings.display_tz)
        error = f"Слишком много неудачных попыток. Вход заблокирован до {until}."
        return render(request, "operator/login.html", 429, error=error, next=target, login=login)
    operator = authenticate_operator(db, login, password)
    if operator is None:
        throttle.record_failure(db, keys, throttle.limits_from(settings))
        return render(request, "operator/login.html", 401, error="Неверный логин или пароль", next=target, login=login)
    throttle.record_success(db, keys)
    token, _ = open_session(
        db,
        operator=operator,
        lifetime=timedelta(days=settings.session_days),
        kind="operator",
        ip=keys["ip"],
        user_agent=request.headers.get("user-agent", ""),
    )
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, token, remember_days=None)
    return response


@router.post("/logout", dependencies=[Csrf])
def logout(request: Request, db: DB) -> Response:
    who = optional_principal(request, db)
    if who is not None and who.is_operator:
        revoke(db, who.session_id)
    response = RedirectResponse("/operator/login", status_code=303)
    clear_session_cookie(response)
    return response


@router.get("")
def console_home(_who: PageOperator) -> Response:
    return RedirectResponse("/operator/contracts", status_code=303)


@router.get("/contracts")
def contracts_page(request: Request, _who: PageOperator, db: DB, q: str = "") -> Response:
    query = select(Contract).order_by(Contract.number).limit(200)
    if q.strip():
        query = query.where(Contract.number.contains(q.strip()))
    contracts = list(db.scalars(query).unique())
    return render(request, "operator/contracts.html", active="contracts", contracts=contracts, q=q)
