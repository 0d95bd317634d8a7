"""The operator console's cabinet part: login, contracts, addresses, IP bindings, password reset, SMS outbox."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from portal.access import contract_cameras_query
from portal.auth.client_ip import client_ip
from portal.auth.cookies import clear_session_cookie, set_session_cookie
from portal.auth.login_attempt import LoginLocked
from portal.auth.sessions import open_session, revoke
from portal.cabinet.contracts import (
    STATUS_NAMES,
    bind_address,
    create_address,
    create_contract,
    emails_of,
    find_contract,
    list_contracts,
    phones_of,
    reset_password,
    set_status,
)
from portal.cabinet.errors import FieldError
from portal.cabinet.ip_bindings import bind_ip, import_csv, unbind_ip
from portal.cabinet.operators import authenticate_operator
from portal.deps import DB, optional_principal, services
from portal.deps import Operator as ApiOperator
from portal.models import Address, Contract, IpBinding
from portal.params import RowId, small_int
from portal.web.csrf import verify_csrf
from portal.web.guards import PageOperator, safe_next
from portal.web.templating import local_time, render

router = APIRouter(prefix="/operator", tags=["operator console"])
Csrf = Depends(verify_csrf)
FIELD_NAMES = {
    "number": "Номер договора",
    "password": "Пароль",
    "address_id": "Адрес",
    "phones": "Телефоны",
    "emails": "Почта",
    "status": "Статус",
    "network": "IP-адрес",
    "contract": "Договор",
    "city": "Город",
    "street": "Улица",
    "house": "Дом",
    "entrance": "Подъезд",
}


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
    ip = client_ip(request)
    target = safe_next(next, "/operator/contracts")
    if not login.strip() or not password:  # like the subscribers' form: an empty field is no guess, not counted
        return render(request, "operator/login.html", 400, error="Введите логин и пароль", next=target, login=login)
    try:
        operator = authenticate_operator(db, settings, login, password, ip)
    except LoginLocked as locked:
        db.commit()  # the failure that caused the lock must count
        until = local_time(locked.lock.until, settings.display_tz)
        error = f"Слишком много неудачных попыток. Вход заблокирован до {until}."
        return render(request, "operator/login.html", 429, error=error, next=target, login=login)
    if operator is None:
        db.commit()
        return render(request, "operator/login.html", 401, error="Неверный логин или пароль", next=target, login=login)
    token, _ = open_session(
        db,
        operator=operator,
        lifetime=timedelta(days=settings.session_days),
        kind="operator",
        ip=ip,
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
    contracts = list_contracts(db, q)
    return render(
        request,
        "operator/contracts.html",
        active="contracts",
        contracts=contracts,
        q=q,
        addresses=_addresses(db),
        status_names=STATUS_NAMES,
        form={},
    )


def _contract_page(request: Request, db: DB, contract: Contract, status: int = 200, **context: object) -> Response:
    bindings = db.scalars(select(IpBinding).where(IpBinding.contract_id == contract.id).order_by(IpBinding.network))
    return render(
        request,
        "operator/contract.html",
        status,
        active="contracts",
        contract=contract,
        phones=phones_of(db, contract.id),
        emails=emails_of(db, contract.id),
        bindings=list(bindings),
        cameras=list(db.scalars(contract_cameras_query(contract)).unique()),
        addresses=_addresses(db),
        status_names=STATUS_NAMES,
        **context,
    )


def _addresses(db: DB) -> list[Address]:
    return list(db.scalars(select(Address).order_by(Address.city, Address.street, Address.house, Address.entrance)))


def _contract_or_404(db: DB, contract_id: int) -> Contract:
    contract = db.get(Contract, contract_id)
    if contract is None:
        raise HTTPException(404, "Договора нет")
    return contract


@router.post("/contracts", dependencies=[Csrf])
def contract_create(
    request: Request,
    _who: PageOperator,
    db: DB,
    number: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    address_id: Annotated[str, Form()] = "",
    flat: Annotated[str, Form()] = "",
    phones: Annotated[str, Form()] = "",
    emails: Annotated[str, Form()] = "",
) -> Response:
    try:
        with db.begin_nested():
            contract = create_contract(
                db,
                number,
                password,
                small_int(address_id),
                flat,
                [p for p in phones.split(",") if p.strip()],
                [e for e in emails.split(",") if e.strip()],
                name=name,
            )
    except FieldError as exc:
        contracts = list_contracts(db)
        return render(
            request,
            "operator/contracts.html",
            400,
            active="contracts",
            contracts=contracts,
            q="",
            addresses=_addresses(db),
            status_names=STATUS_NAMES,
            error=_field_error(exc),
            form=dict(number=number, name=name, flat=flat, phones=phones, emails=emails, address_id=address_id),
        )
    return RedirectResponse(f"/operator/contracts/{contract.id}", status_code=303)


def _field_error(exc: FieldError) -> str:
    return f"{FIELD_NAMES.get(exc.field, exc.field)}: {exc.reason}"


@router.get("/contracts/{contract_id}")
def contract_page(request: Request, contract_id: RowId, _who: PageOperator, db: DB) -> Response:
    return _contract_page(request, db, _contract_or_404(db, contract_id))


@router.post("/contracts/{contract_id}/address", dependencies=[Csrf])
def contract_address(
    request: Request,
    contract_id: RowId,
    _who: PageOperator,
    db: DB,
    address_id: Annotated[str, Form()] = "",
    flat: Annotated[str, Form()] = "",
) -> Response:
    contract = _contract_or_404(db, contract_id)
    try:
        bind_address(db, contract, small_int(address_id), flat)
    except FieldError as exc:
        return _contract_page(request, db, contract, 400, error=_field_error(exc))
    return _contract_page(request, db, contract, notice="Адрес договора сохранён")


@router.post("/contracts/{contract_id}/status", dependencies=[Csrf])
def contract_status(
    request: Request, contract_id: RowId, _who: PageOperator, db: DB, status: Annotated[str, Form()] = ""
) -> Response:
    contract = _contract_or_404(db, contract_id)
    try:
        set_status(db, contract, status)
    except FieldError as exc:
        return _contract_page(request, db, contract, 400, error=_field_error(exc))
    return _contract_page(request, db, contract, notice=f"Статус: {STATUS_NAMES[status]}")


@router.post("/contracts/{contract_id}/reset-password", dependencies=[Csrf])
def contract_reset_password(request: Request, contract_id: RowId, _who: PageOperator, db: DB) -> Response:
    contract = _contract_or_404(db, contract_id)
    password = reset_password(db, contract)
    return _contract_page(
        request, db, contract, new_password=password, notice="Пароль сброшен, все сеансы абонента завершены"
    )


@router.post("/contracts/{contract_id}/ip-bindings", dependencies=[Csrf])
def contract_bind_ip(
    request: Request, contract_id: RowId, _who: PageOperator, db: DB, network: Annotated[str, Form()] = ""
) -> Response:
    contract = _contract_or_404(db, contract_id)
    try:
        with db.begin_nested():
            bind_ip(db, contract.id, network, source="manual")
    except FieldError as exc:
        return _contract_page(request, db, contract, 400, error=_field_error(exc))
    return _contract_page(request, db, contract, notice="Адрес привязан")


@router.post("/ip-bindings/{binding_id}/delete", dependencies=[Csrf])
def ip_binding_delete(binding_id: RowId, _who: PageOperator, db: DB) -> Response:
    row = db.get(IpBinding, binding_id)
    if row is None:
        raise HTTPException(404, "Привязки нет")
    unbind_ip(db, binding_id)
    return RedirectResponse(f"/operator/contracts/{row.contract_id}", status_code=303)


@router.get("/addresses")
def addresses_page(request: Request, _who: PageOperator, db: DB) -> Response:
    return render(request, "operator/addresses.html", active="addresses", addresses=_addresses(db))


@router.post("/addresses", dependencies=[Csrf])
def address_create(
    request: Request,
    _who: PageOperator,
    db: DB,
    city: Annotated[str, Form()] = "",
    street: Annotated[str, Form()] = "",
    house: Annotated[str, Form()] = "",
    entrance: Annotated[str, Form()] = "1",
) -> Response:
    try:
        number = small_int(entrance)
        if number is None:
            raise FieldError("entrance", "номер подъезда — число")
        create_address(db, city, street, house, number)
    except FieldError as exc:
        return render(
            request,
            "operator/addresses.html",
            400,
            active="addresses",
            addresses=_addresses(db),
            error=_field_error(exc),
            form=dict(city=city, street=street, house=house, entrance=entrance),
        )
    return RedirectResponse("/operator/addresses", status_code=303)


@router.get("/ip-bindings")
def ip_bindings_page(request: Request, _who: PageOperator, db: DB) -> Response:
    return _ip_page(request, db)


def _ip_page(request: Request, db: DB, status: int = 200, **context: object) -> Response:
    rows = db.execute(
        select(IpBinding, Contract.number)
        .join(Contract, Contract.id == IpBinding.contract_id)
        .order_by(IpBinding.first_hex)
        .limit(500)
    ).all()
    return render(request, "operator/ip_bindings.html", status, active="ip", rows=rows, **context)


@router.post("/ip-bindings/import")
async def ip_bindings_import(request: Request, _who: PageOperator, _csrf: Annotated[None, Csrf], db: DB) -> Response:
    # Csrf after PageOperator: the upload is parsed only once the caller is known to be an operator.
    form = await request.form()
    upload = form.get("file")
    text = form.get("text") or ""
    if upload is not None and hasattr(upload, "read"):
        raw = await upload.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return _ip_page(request, db, 400, error="Файл: нужен CSV в кодировке UTF-8")
    report = import_csv(db, str(text))
    if report.errors:
        return _ip_page(request, db, 400, error="Файл не загружен: " + "; ".join(report.errors[:20]))
    return _ip_page(request, db, notice=f"Загружено привязок: {report.added}")


@router.get("/sms")
def sms_page(_who: PageOperator) -> Response:
    """The old SMS outbox page: every message is in the notification centre's one outbox now."""
    return RedirectResponse("/operator/notify/outbox", status_code=303)


# ---- JSON API for the ISP's address management: IP bindings ------------------------------------------

api = APIRouter(prefix="/api/v1/operator/ip-bindings", tags=["operator API"])


class BindingIn(BaseModel):
    contract: str = Field(min_length=1, max_length=32, description="Contract number")
    network: str = Field(min_length=1, max_length=64, description="Address, CIDR or first-last range")


class BindingOut(BaseModel):
    id: int
    contract: str
    network: str
    source: str


@api.get("", response_model=list[BindingOut])
def api_list(_who: ApiOperator, db: DB, contract: str = "") -> list[BindingOut]:
    query = select(IpBinding, Contract.number).join(Contract, Contract.id == IpBinding.contract_id)
    if contract:
        query = query.where(Contract.number == contract)
    rows = db.execute(query.order_by(IpBinding.first_hex)).all()
    return [BindingOut(id=b.id, contract=n, network=b.network, source=b.source) for b, n in rows]


@api.post("", response_model=BindingOut, status_code=201)
def api_bind(body: BindingIn, _who: ApiOperator, db: DB) -> BindingOut:
    found = find_contract(db, body.contract)
    if found is None:
        raise HTTPException(422, f"contract: no contract {body.contract}")
    try:
        row = bind_ip(db, found.id, body.network, source="api")
    except FieldError as exc:
        raise HTTPException(422, f"{exc.field}: {exc.reason}") from None
    return BindingOut(id=row.id, contract=found.number, network=row.network, source=row.source)


@api.post("/import")
async def api_import(request: Request, _who: ApiOperator, db: DB) -> dict[str, int]:
    """Body: the CSV export itself (`contract,network` per line); all or nothing."""
    report = import_csv(db, (await request.body()).decode("utf-8-sig", errors="replace"))
    if report.errors:
        raise HTTPException(422, {"errors": report.errors})
    return {"added": report.added}


@api.delete("/{binding_id}", status_code=204)
def api_unbind(binding_id: RowId, _who: ApiOperator, db: DB) -> None:
    if db.get(IpBinding, binding_id) is None:
        raise HTTPException(404, "no such binding")
    unbind_ip(db, binding_id)
