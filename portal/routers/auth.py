"""JSON login for subscribers: contract number + password -> bearer token and session cookie.

Shares the web login's rules: brute-force lockout (429), disabled/blocked contracts (403).
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from portal.auth.client_ip import client_ip
from portal.auth.cookies import clear_session_cookie, set_session_cookie
from portal.auth.sessions import revoke
from portal.cabinet import recovery
from portal.cabinet.contacts_format import mask_phone
from portal.cabinet.contracts import phones_of
from portal.cabinet.errors import FieldError
from portal.cabinet.login import LoginRefused, check_password_login, open_login, step_up, transparent_contract
from portal.cabinet.step_up import confirm_step_up_code, send_step_up_code
from portal.deps import DB, AnyPrincipal, optional_principal, services
from portal.models import RecoveryRequest
from portal.params import small_int
from portal.web.csrf import verify_csrf
from portal.web.guards import PageSubscriber, safe_next
from portal.web.templating import render

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class LoginBody(BaseModel):
    contract: str = Field(min_length=1, max_length=32, description="Contract number (the login)")
    password: str = Field(min_length=1, max_length=200)
    remember: bool = False


class TokenOut(BaseModel):
    token: str


@router.post("/login", response_model=TokenOut)
def login(body: LoginBody, request: Request, response: Response, db: DB) -> TokenOut:
    settings = services(request).settings
    ip = client_ip(request)
    try:
        contract = check_password_login(db, settings, body.contract, body.password, ip)
    except LoginRefused as refused:
        # Failure counters must persist although the request fails.
        db.commit()
        raise HTTPException(refused.status, refused.message) from None
    opened = open_login(
        db,
        settings,
        contract,
        remember=body.remember,
        kind="api",
        ip=ip,
        user_agent=request.headers.get("user-agent", ""),
    )
    set_session_cookie(request, response, opened.token, remember_days=opened.days if body.remember else None)
    return TokenOut(token=opened.token)


@router.post("/logout", status_code=204)
def logout(who: AnyPrincipal, response: Response, db: DB) -> None:
    revoke(db, who.session_id)
    clear_session_cookie(response)


# ---- Pages: login, logout, password recovery (seed 001) ---------------------------------------------

pages = APIRouter(tags=["cabinet login"])
Csrf = Depends(verify_csrf)
RECOVERY_COOKIE = "dozor_recovery"
# After an explicit logout, transparent login waits until the browser closes: otherwise «Выйти» on a
# home network could never work.
MANUAL_COOKIE = "dozor_manual"


def _login_form(request: Request, status: int = 200, **context: object) -> Response:
    context.setdefault("next", "/cameras")
    return render(request, "login.html", status, **context)


@pages.get("/")
def home(request: Request, db: DB) -> Response:
    who = optional_principal(request, db)
    return RedirectResponse("/cameras" if who and who.contract_id else "/login", status_code=303)


@pages.get("/login")
def login_page(request: Request, db: DB, next: str = "", recovered: int = 0) -> Response:
    target = safe_next(next, "/cameras")
    who = optional_principal(request, db)
    if who is not None and who.contract_id is not None:
        return RedirectResponse(target, status_code=303)
    settings = services(request).settings
    ip = client_ip(request)
    contract = None if request.cookies.get(MANUAL_COOKIE) else transparent_contract(db, settings, ip)
    if contract is not None:
        opened = open_login(
            db,
            settings,
            contract,
            remember=False,
            kind="transparent",
            ip=ip,
            user_agent=request.headers.get("user-agent", ""),
        )
        response = RedirectResponse(target, status_code=303)
        set_session_cookie(request, response, opened.token, remember_days=None)
        return response
    notice = "Пароль изменён. Войдите с новым паролем." if recovered else None
    return _login_form(request, next=target, notice=notice)


@pages.post("/login", dependencies=[Csrf])
def login_submit(
    request: Request,
    db: DB,
    contract: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    remember: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    settings = services(request).settings
    ip = client_ip(request)
    target = safe_next(next, "/cameras")
    try:
        found = check_password_login(db, settings, contract, password, ip)
    except LoginRefused as refused:
        return _login_form(request, refused.status, error=refused.message, contract=contract, next=target)
    opened = open_login(
        db,
        settings,
        found,
        remember=bool(remember),
        kind="web",
        ip=ip,
        user_agent=request.headers.get("user-agent", ""),
    )
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, opened.token, remember_days=opened.days if opened.remember else None)
    response.delete_cookie(MANUAL_COOKIE)
    return response


@pages.post("/logout", dependencies=[Csrf])
def logout_page(request: Request, db: DB) -> Response:
    who = optional_principal(request, db)
    if who is not None:
        revoke(db, who.session_id)
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response)
    response.set_cookie(MANUAL_COOKIE, "1", httponly=True, samesite="lax")
    return response


STEP_UP_COOKIE = "dozor_stepup"


def _step_up_page(request: Request, db: DB, who, target: str, status: int = 200, **context: object) -> Response:
    phones = [(p.id, mask_phone(p.phone)) for p in phones_of(db, who.contract_id)]
    return render(request, "login_confirm.html", status, next=target, phones=phones, **context)


@pages.get("/login/confirm")
def step_up_page(request: Request, who: PageSubscriber, db: DB, next: str = "") -> Response:
    """Asked by PagePasswordSubscriber: an IP-only session must prove the owner before account changes —
    the password, or a code sent to a phone already bound to the contract."""
    target = safe_next(next, "/account/contacts")
    if who.password_authenticated:
        return RedirectResponse(target, status_code=303)
    return _step_up_page(request, db, who, target)


def _stepped_up(request: Request, db: DB, who, opened, target: str) -> Response:
    revoke(db, who.session_id)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, opened.token, remember_days=None)
    response.delete_cookie(STEP_UP_COOKIE, path="/login/confirm")
    return response


@pages.post("/login/confirm", dependencies=[Csrf])
def step_up_submit(
    request: Request,
    who: PageSubscriber,
    db: DB,
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    target = safe_next(next, "/account/contacts")
    ua = request.headers.get("user-agent", "")
    try:
        opened = step_up(
            db, services(request).settings, who.contract_id, password, ip=client_ip(request), user_agent=ua
        )
    except LoginRefused as refused:
        return _step_up_page(request, db, who, target, refused.status, error=refused.message)
    return _stepped_up(request, db, who, opened, target)


@pages.post("/login/confirm/sms", dependencies=[Csrf])
def step_up_sms(
    request: Request,
    who: PageSubscriber,
    db: DB,
    phone: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    target = safe_next(next, "/account/contacts")
    try:
        phone_id = int(phone) if phone.isdigit() else -1
        token = send_step_up_code(db, who.contract_id, phone_id, client_ip(request))
    except FieldError as exc:
        return _step_up_page(request, db, who, target, 400, error=f"Телефон: {exc.reason}")
    masked = dict((p.id, mask_phone(p.phone)) for p in phones_of(db, who.contract_id)).get(phone_id, "")
    response = _step_up_page(request, db, who, target, code_form=True, code_sent_to=masked)
    response.set_cookie(
        STEP_UP_COOKIE,
        token,
        max_age=int(recovery.FLOW_TTL.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=services(request).settings.secure_cookies,
        path="/login/confirm",
    )
    return response


@pages.post("/login/confirm/code", dependencies=[Csrf])
def step_up_code(
    request: Request,
    who: PageSubscriber,
    db: DB,
    code: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    target = safe_next(next, "/account/contacts")
    try:
        opened = confirm_step_up_code(
            db,
            services(request).settings,
            who.contract_id,
            request.cookies.get(STEP_UP_COOKIE),
            code,
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent", ""),
        )
    except FieldError as exc:
        return _step_up_page(request, db, who, target, 400, error=f"Код: {exc.reason}", code_form=True)
    return _stepped_up(request, db, who, opened, target)


def _flow(request: Request, db: DB) -> RecoveryRequest | None:
    return recovery.load(db, request.cookies.get(RECOVERY_COOKIE))


def _restart(request: Request) -> Response:
    return render(
        request, "recover/start.html", 400, error="Восстановление устарело или уже завершено. Начните заново."
    )


@pages.get("/recover")
def recover_page(request: Request) -> Response:
    return render(request, "recover/start.html")


@pages.post("/recover", dependencies=[Csrf])
def recover_start(request: Request, db: DB, contract: Annotated[str, Form()] = "") -> Response:
    try:
        token, _ = recovery.start(db, contract, ip=client_ip(request))
    except FieldError as exc:
        return render(request, "recover/start.html", 400, error=f"Номер договора: {exc.reason}", contract=contract)
    response = RedirectResponse("/recover/phone", status_code=303)
    response.set_cookie(
        RECOVERY_COOKIE,
        token,
        max_age=int(recovery.FLOW_TTL.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=services(request).settings.secure_cookies,
        path="/recover",
    )
    return response


@pages.get("/recover/phone")
def recover_phone_page(request: Request, db: DB) -> Response:
    req = _flow(request, db)
    if req is None:
        return _restart(request)
    return render(request, "recover/phone.html", phones=recovery.masked_phones(db, req))


@pages.post("/recover/phone", dependencies=[Csrf])
def recover_phone(request: Request, db: DB, phone: Annotated[str, Form()] = "") -> Response:
    req = _flow(request, db)
    if req is None:
        return _restart(request)
    choice = small_int(phone)
    try:
        recovery.send_code(db, req, -1 if choice is None else choice)
    except FieldError as exc:
        phones = recovery.masked_phones(db, req)
        return render(request, "recover/phone.html", 400, error=f"Телефон: {exc.reason}", phones=phones)
    return RedirectResponse("/recover/code", status_code=303)


def _code_page(request: Request, db: DB, req: RecoveryRequest, status: int = 200, **context: object) -> Response:
    masked = dict(recovery.masked_phones(db, req)).get(req.phone_id or -1, "")
    return render(request, "recover/code.html", status, phone=masked, **context)


@pages.get("/recover/code")
def recover_code_page(request: Request, db: DB) -> Response:
    req = _flow(request, db)
    if req is None or not req.code_hash:
        return _restart(request)
    return _code_page(request, db, req)


@pages.post("/recover/code", dependencies=[Csrf])
def recover_code(request: Request, db: DB, code: Annotated[str, Form()] = "") -> Response:
    req = _flow(request, db)
    if req is None:
        return _restart(request)
    try:
        recovery.verify_code(db, req, code)
    except FieldError as exc:
        return _code_page(request, db, req, 400, error=f"Код: {exc.reason}")
    return RedirectResponse("/recover/password", status_code=303)


@pages.post("/recover/resend", dependencies=[Csrf])
def recover_resend(request: Request, db: DB) -> Response:
    req = _flow(request, db)
    if req is None:
        return _restart(request)
    try:
        recovery.send_code(db, req, None)
    except FieldError as exc:
        return _code_page(request, db, req, 429, error=exc.reason[:1].upper() + exc.reason[1:])
    return _code_page(request, db, req, notice="Новый код отправлен")


@pages.get("/recover/password")
def recover_password_page(request: Request, db: DB) -> Response:
    req = _flow(request, db)
    if req is None or req.verified_at is None:
        return _restart(request)
    return render(request, "recover/password.html")


@pages.post("/recover/password", dependencies=[Csrf])
def recover_password(
    request: Request, db: DB, password: Annotated[str, Form()] = "", password2: Annotated[str, Form()] = ""
) -> Response:
    req = _flow(request, db)
    if req is None or req.verified_at is None:
        return _restart(request)
    try:
        recovery.complete(db, req, password, password2)
    except FieldError as exc:
        label = "Повтор пароля" if exc.field == "password2" else "Новый пароль"
        return render(request, "recover/password.html", 400, error=f"{label}: {exc.reason}")
    response = RedirectResponse("/login?recovered=1", status_code=303)
    response.delete_cookie(RECOVERY_COOKIE, path="/recover")
    return response
