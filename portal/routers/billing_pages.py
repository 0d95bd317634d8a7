"""Cabinet pages of billing: balance and next charge, tariff card and switching, history (+CSV), promised
payment, personal offers. «Пополнить» (/billing/topup) and «Автоплатёж» (/billing/autopay) are the payments
module's pages; this page links them."""

import csv
import io
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import Response

from portal.billing import account, offers, promised, retention, tariffs
from portal.billing.account import KIND_TITLES
from portal.billing.accrual import local_day
from portal.billing.money import format_roubles, format_roubles_ru
from portal.billing.periods import parse_period
from portal.cabinet.errors import FieldError
from portal.deps import DB, services
from portal.models import Contract, utcnow
from portal.params import RowId
from portal.web.csrf import verify_csrf
from portal.web.guards import PageSubscriber
from portal.web.templating import local_time, render, templates

router = APIRouter(tags=["cabinet pages"])
Csrf = Depends(verify_csrf)
templates.env.filters["rub"] = format_roubles_ru
FIELD_NAMES = {"tariff_id": "Тариф", "from": "Начало периода", "to": "Конец периода", "promised": "Обещанный платёж"}
FIELD_NAMES["offer_id"] = "Предложение"


def _error(exc: FieldError) -> str:
    return f"{FIELD_NAMES.get(exc.field, exc.field)}: {exc.reason}"


def _tz(db: DB, contract_id: int) -> str:
    contract = db.get(Contract, contract_id)
    return contract.tz if contract else "UTC"


def account_page(request: Request, db: DB, contract_id: int, status: int = 200, **extra) -> Response:
    now = utcnow()
    may_promise, why_not, promise_amount = promised.available(db, contract_id, now)
    return render(
        request,
        "billing/account.html",
        status,
        active="billing",
        s=account.summary(db, contract_id, now),
        recent=account.entries(db, contract_id, limit=5),
        kinds=KIND_TITLES,
        offers=offers.for_contract(db, contract_id),
        promised_grant=promised.active_grant(db, contract_id),
        may_promise=may_promise,
        why_not=why_not,
        promise_amount=promise_amount,
        tz=_tz(db, contract_id),
        **extra,
    )


@router.get("/billing")
def billing_page(request: Request, who: PageSubscriber, db: DB) -> Response:
    return account_page(request, db, who.contract_id)


def tariffs_page(request: Request, db: DB, contract_id: int, status: int = 200, **extra) -> Response:
    return render(
        request,
        "billing/tariffs.html",
        status,
        active="billing",
        s=account.summary(db, contract_id, utcnow()),
        tariffs=tariffs.open_to(db, contract_id),
        tz=_tz(db, contract_id),
        **extra,
    )


@router.get("/billing/tariffs")
def tariffs_list(request: Request, who: PageSubscriber, db: DB) -> Response:
    return tariffs_page(request, db, who.contract_id)


@router.post("/billing/tariff", dependencies=[Csrf])
def tariff_switch(
    request: Request,
    who: PageSubscriber,
    db: DB,
    background: BackgroundTasks,
    tariff_id: Annotated[str, Form()] = "",
) -> Response:
    try:
        result = tariffs.request_switch(db, who.contract_id, tariff_id, utcnow())
    except FieldError as exc:
        db.rollback()
        return tariffs_page(request, db, who.contract_id, 400, error=_error(exc))
    background.add_task(retention.refresh_and_tell, services(request))  # after the commit
    if result.effective > local_day(utcnow(), _tz(db, who.contract_id)):
        notice = f"Тариф «{result.tariff.name}» начнёт действовать с {result.effective:%d.%m.%Y}."
    else:
        notice = f"Ваш тариф — «{result.tariff.name}»."
    return tariffs_page(request, db, who.contract_id, notice=notice, warning=result.warning)


def _history(request: Request, db: DB, contract_id: int):
    start, end = request.query_params.get("from"), request.query_params.get("to")
    lo, hi = parse_period(start, end, _tz(db, contract_id))
    return account.entries(db, contract_id, lo, hi), {"from": start or "", "to": end or ""}


@router.get("/billing/history")
def history_page(request: Request, who: PageSubscriber, db: DB) -> Response:
    try:
        rows, period = _history(request, db, who.contract_id)
    except FieldError as exc:
        return render(
            request, "billing/history.html", 400, active="billing", rows=[], period={}, kinds=KIND_TITLES,
            error=_error(exc), tz=_tz(db, who.contract_id),
        )  # fmt: skip
    return render(
        request, "billing/history.html", active="billing", rows=rows, period=period, kinds=KIND_TITLES,
        tz=_tz(db, who.contract_id),
    )  # fmt: skip


@router.get("/billing/history.csv")
def history_csv(request: Request, who: PageSubscriber, db: DB) -> Response:
    try:
        rows, _period = _history(request, db, who.contract_id)
    except FieldError as exc:
        return Response(_error(exc), status_code=400, media_type="text/plain; charset=utf-8")
    tz = _tz(db, who.contract_id)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["Дата и время", "Операция", "Сумма, ₽", "Баланс после, ₽", "Описание"])
    for e in rows:
        writer.writerow(
            [
                local_time(e.at, tz, "%Y-%m-%d %H:%M:%S"),
                KIND_TITLES.get(e.kind, e.kind),
                format_roubles(e.amount_kopecks),
                format_roubles(e.balance_after_kopecks),
                e.description,
            ]
        )
    body = "\ufeff" + out.getvalue()  # BOM: Excel opens UTF-8 CSV correctly
    headers = {"Content-Disposition": 'attachment; filename="billing-history.csv"'}
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)


@router.post("/billing/promised", dependencies=[Csrf])
def promised_take(request: Request, who: PageSubscriber, db: DB) -> Response:
    try:
        grant = promised.take(db, who.contract_id, utcnow())
    except FieldError as exc:
        db.rollback()
        return account_page(request, db, who.contract_id, 400, error=_error(exc))
    notice = f"Обещанный платёж {format_roubles_ru(grant.amount_kopecks)} зачислен до {{}}."
    return account_page(
        request, db, who.contract_id, notice=notice.format(local_time(grant.expires_at, _tz(db, who.contract_id)))
    )


@router.post("/billing/offers/{offer_id}/accept", dependencies=[Csrf])
def offer_accept(request: Request, offer_id: RowId, who: PageSubscriber, db: DB) -> Response:
    try:
        offer = offers.accept(db, who.contract_id, offer_id, utcnow())
    except FieldError as exc:
        db.rollback()
        return account_page(request, db, who.contract_id, 400, error=_error(exc))
    return account_page(request, db, who.contract_id, notice=f"Предложение «{offer.title}» применено.")
