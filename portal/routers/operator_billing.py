"""Operator console: tariffs (create, edit, retire), a contract's ledger with manual adjustments and its tariff,
debtors, billing settings and camera depth overrides, personal offers."""

import secrets
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from portal.billing import account, offers, retention, tariffs
from portal.billing import settings as billing_config
from portal.billing.account import KIND_TITLES
from portal.billing.accrual import local_day
from portal.billing.operator_ops import adjust, debtors
from portal.cabinet.errors import FieldError
from portal.deps import DB, services
from portal.models import Address, Camera, CameraRetentionOverride, Contract, Offer, Operator, utcnow
from portal.models.billing import ARCHIVE_DAYS
from portal.params import RowId
from portal.web.csrf import verify_csrf
from portal.web.guards import PageOperator
from portal.web.templating import render

router = APIRouter(prefix="/operator/billing", tags=["operator console"])
Csrf = Depends(verify_csrf)
FIELDS = {
    "name": "Название",
    "monthly_price": "Цена в месяц",
    "archive_days": "Глубина архива",
    "amount": "Сумма",
    "reason": "Причина",
    "tariff_id": "Тариф",
    "grace_days": "Льготный период",
    "promised_days": "Дней обещанного платежа",
    "switch_mode": "Смена тарифа",
    "title": "Заголовок",
    "kind": "Вид",
    "discount_percent": "Скидка",
    "months": "Месяцев",
    "bonus": "Бонус",
    "contracts": "Договоры",
    "camera_id": "Камера",
    "days": "Дней",
}


def _error(exc: FieldError) -> str:
    return f"{FIELDS.get(exc.field, exc.field)}: {exc.reason}"


def _login(db: DB, who) -> str:
    operator = db.get(Operator, who.operator_id)
    return operator.login if operator else "operator"


# --- tariffs --------------------------------------------------------------------------------------------


def _tariffs_page(request: Request, db: DB, status: int = 200, **extra) -> Response:
    return render(
        request, "operator/billing_tariffs.html", status, active="tariffs", tariffs=tariffs.all_tariffs(db),
        choices=ARCHIVE_DAYS, settings=billing_config.billing_settings(db), **extra,
    )  # fmt: skip


@router.get("/tariffs")
def tariffs_list(request: Request, _who: PageOperator, db: DB) -> Response:
    return _tariffs_page(request, db)


def _form(name: str, monthly_price: str, archive_days: str, description: str, switchable: str) -> tariffs.TariffForm:
    return tariffs.TariffForm(name, monthly_price, archive_days, description, switchable == "on")


@router.post("/tariffs", dependencies=[Csrf])
def tariff_create(
    request: Request,
    _who: PageOperator,
    db: DB,
    name: Annotated[str, Form()] = "",
    monthly_price: Annotated[str, Form()] = "",
    archive_days: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    switchable: Annotated[str, Form()] = "",
) -> Response:
    try:
        tariff = tariffs.create(db, _form(name, monthly_price, archive_days, description, switchable))
    except FieldError as exc:
        db.rollback()
        form = {"name": name, "monthly_price": monthly_price, "archive_days": archive_days}
        return _tariffs_page(request, db, 400, error=_error(exc), form=form)
    return _tariffs_page(request, db, notice=f"Тариф «{tariff.name}» создан")


@router.post("/tariffs/{tariff_id}", dependencies=[Csrf])
def tariff_update(
    request: Request,
    tariff_id: RowId,
    _who: PageOperator,
    db: DB,
    background: BackgroundTasks,
    name: Annotated[str, Form()] = "",
    monthly_price: Annotated[str, Form()] = "",
    archive_days: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    switchable: Annotated[str, Form()] = "",
) -> Response:
    try:
        tariff = tariffs.update(db, tariff_id, _form(name, monthly_price, archive_days, description, switchable))
    except FieldError as exc:
        db.rollback()
        return _tariffs_page(request, db, 400, error=_error(exc))
    background.add_task(retention.refresh_and_tell, services(request))
    return _tariffs_page(request, db, notice=f"Тариф «{tariff.name}» сохранён")


@router.post("/tariffs/{tariff_id}/retire", dependencies=[Csrf])
def tariff_retire(
    request: Request, tariff_id: RowId, _who: PageOperator, db: DB, active: Annotated[str, Form()] = ""
) -> Response:
    try:
        tariff = tariffs.retire(db, tariff_id, active=active == "1")
    except FieldError as exc:
        return _tariffs_page(request, db, 400, error=_error(exc))
    state = "снова открыт" if tariff.active else "закрыт: на него больше нельзя перейти"
    return _tariffs_page(request, db, notice=f"Тариф «{tariff.name}» {state}")


@router.post("/settings", dependencies=[Csrf])
def settings_save(
    request: Request,
    who: PageOperator,
    db: DB,
    grace_days: Annotated[str, Form()] = "",
    switch_mode: Annotated[str, Form()] = "",
    promised_enabled: Annotated[str, Form()] = "",
    promised_days: Annotated[str, Form()] = "",
) -> Response:
    try:
        billing_config.update(
            db, grace_days=grace_days, switch_mode=switch_mode, promised_enabled=promised_enabled == "on",
            promised_days=promised_days, actor=_login(db, who),
        )  # fmt: skip
    except FieldError as exc:
        db.rollback()
        return _tariffs_page(request, db, 400, error=_error(exc))
    return _tariffs_page(request, db, notice="Настройки сохранены")


@router.post("/cameras/retention", dependencies=[Csrf])
def camera_override(
    request: Request,
    who: PageOperator,
    db: DB,
    background: BackgroundTasks,
    camera_id: Annotated[str, Form()] = "",
    days: Annotated[str, Form()] = "",
) -> Response:
    """Pin a camera's kept depth (empty days removes the pin: its viewers' tariffs decide again)."""
    camera = db.get(Camera, camera_id.strip())
    if camera is None:
        return _tariffs_page(request, db, 400, error=_error(FieldError("camera_id", "нет такой камеры")))
    row = db.get(CameraRetentionOverride, camera.id)
    if not days.strip():
        if row is not None:
            db.delete(row)
    else:
        if days.strip() not in {str(d) for d in ARCHIVE_DAYS}:
            return _tariffs_page(request, db, 400, error=_error(FieldError("days", f"одно из {ARCHIVE_DAYS}")))
        if row is None:
            row = CameraRetentionOverride(camera_id=camera.id)
            db.add(row)
        row.days, row.set_by, row.set_at = int(days), _login(db, who), utcnow()
    background.add_task(retention.refresh_and_tell, services(request))
    return _tariffs_page(request, db, notice=f"Глубина хранения камеры {camera.id} сохранена")


# --- a contract's ledger ----------------------------------------------------------------------------------


def _contract_page(request: Request, db: DB, contract_id: int, status: int = 200, **extra) -> Response:
    contract = db.get(Contract, contract_id)
    if contract is None:
        raise HTTPException(404, "Нет такого договора")
    return render(
        request, "operator/billing_contract.html", status, active="contracts", contract=contract,
        s=account.summary(db, contract_id, utcnow()), entries=account.entries(db, contract_id, limit=1000),
        kinds=KIND_TITLES, tariffs=tariffs.all_tariffs(db), nonce=secrets.token_urlsafe(12), tz=contract.tz, **extra,
    )  # fmt: skip


@router.get("/contracts/{contract_id}")
def contract_ledger(request: Request, contract_id: RowId, _who: PageOperator, db: DB) -> Response:
    return _contract_page(request, db, contract_id)


@router.post("/contracts/{contract_id}/adjust", dependencies=[Csrf])
def contract_adjust(
    request: Request,
    contract_id: RowId,
    who: PageOperator,
    db: DB,
    amount: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    nonce: Annotated[str, Form()] = "",
) -> Response:
    try:
        entry = adjust(db, contract_id, amount, reason, actor=_login(db, who), nonce=nonce)
    except FieldError as exc:
        db.rollback()
        return _contract_page(
            request, db, contract_id, 400, error=_error(exc), form={"amount": amount, "reason": reason}
        )
    return _contract_page(request, db, contract_id, notice=f"Корректировка проведена: {entry.description}")


@router.post("/contracts/{contract_id}/tariff", dependencies=[Csrf])
def contract_tariff(
    request: Request,
    contract_id: RowId,
    _who: PageOperator,
    db: DB,
    background: BackgroundTasks,
    tariff_id: Annotated[str, Form()] = "",
) -> Response:
    contract = db.get(Contract, contract_id)
    if contract is None:
        raise HTTPException(404, "Нет такого договора")
    try:
        if not tariff_id.strip().isdigit():
            raise FieldError("tariff_id", "выберите тариф")
        tariffs.assign(db, contract_id, int(tariff_id), local_day(utcnow(), contract.tz))
    except FieldError as exc:
        db.rollback()
        return _contract_page(request, db, contract_id, 400, error=_error(exc))
    background.add_task(retention.refresh_and_tell, services(request))
    return _contract_page(request, db, contract_id, notice="Тариф назначен")


@router.get("/debtors")
def debtors_page(request: Request, _who: PageOperator, db: DB) -> Response:
    return render(request, "operator/billing_debtors.html", active="debtors", rows=debtors(db, utcnow()))


# --- offers -------------------------------------------------------------------------------------------------


def _offers_page(request: Request, db: DB, status: int = 200, **extra) -> Response:
    rows = list(db.scalars(select(Offer).order_by(Offer.id.desc())).unique())
    return render(
        request, "operator/billing_offers.html", status, active="offers", offers=rows,
        tariffs=[t for t in tariffs.all_tariffs(db) if t.active], addresses=list(db.scalars(select(Address))),
        **extra,
    )  # fmt: skip


@router.get("/offers")
def offers_list(request: Request, _who: PageOperator, db: DB) -> Response:
    return _offers_page(request, db)


@router.post("/offers", dependencies=[Csrf])
def offer_create(
    request: Request,
    who: PageOperator,
    db: DB,
    title: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    tariff_id: Annotated[str, Form()] = "",
    discount_percent: Annotated[str, Form()] = "0",
    months: Annotated[str, Form()] = "0",
    bonus: Annotated[str, Form()] = "",
    contracts: Annotated[str, Form()] = "",
    address_ids: Annotated[list[int] | None, Form()] = None,
) -> Response:
    try:
        offer = offers.create(
            db, title=title, description=description, kind=kind, tariff_id=tariff_id,
            discount_percent=discount_percent, months=months, bonus=bonus, actor=_login(db, who),
        )  # fmt: skip
        numbers = [n for n in contracts.replace(";", ",").replace("\n", ",").split(",") if n.strip()]
        if not numbers and not address_ids:
            raise FieldError("contracts", "укажите договоры или адреса, кому адресовано предложение")
        count = offers.target(db, offer.id, numbers, list(address_ids or []))
    except FieldError as exc:
        db.rollback()
        return _offers_page(request, db, 400, error=_error(exc), form={"title": title, "contracts": contracts})
    return _offers_page(request, db, notice=f"Предложение «{offer.title}» создано ({count} адресатов)")


@router.post("/offers/{offer_id}/close", dependencies=[Csrf])
def offer_close(offer_id: RowId, _who: PageOperator, db: DB) -> Response:
    offer = db.get(Offer, offer_id)
    if offer is not None:
        offer.active = False
    return RedirectResponse("/operator/billing/offers", status_code=303)
