"""Payment pages: the cabinet's «Пополнить» and auto-payment settings, the test-mode gateway's own
confirmation page, and the operator's payments list with refunds (domain: portal/billing/)."""

from contextlib import suppress
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from portal.billing import autopay, ledger
from portal.billing.gateway import OPEN_STATUSES, GatewayError
from portal.billing.money import format_roubles, format_roubles_ru
from portal.billing.payments import parse_amount, payments_of, return_url, settle, settle_open, start_payment
from portal.billing.provider import gateway_of
from portal.billing.refunds import refundable_kopecks, refunds_of, start_refund
from portal.billing.session_guard import PASSWORD_REQUIRED, is_password_session
from portal.billing.testmode import TestModeGateway
from portal.cabinet.errors import FieldError
from portal.deps import DB, services
from portal.models import Contract, Operator, Payment
from portal.params import INT32_MAX, RowId
from portal.web.csrf import verify_csrf
from portal.web.guards import PageOperator, PageSubscriber
from portal.web.templating import render

router = APIRouter(tags=["cabinet payments"])
operator = APIRouter(prefix="/operator", tags=["operator payments"])
Csrf = Depends(verify_csrf)
STATUS_NAMES = {
    "new": "создаётся",
    "pending": "ожидает оплаты",
    "waiting_for_capture": "ожидает подтверждения",
    "succeeded": "зачислен",
    "canceled": "отменён",
    "failed": "ошибка",
    "mismatch": "сумма не совпала",
}
FIELD_NAMES = {"amount": "Сумма", "threshold": "Порог", "payment_method_id": "Карта", "reason": "Причина"}


def _contract(db: DB, contract_id: int) -> Contract:
    contract = db.get(Contract, contract_id)
    if contract is None:
        raise HTTPException(404, "Нет такого договора")
    return contract


def _error(exc: FieldError) -> str:
    return f"{FIELD_NAMES.get(exc.field, exc.field)}: {exc.reason}"


def _topup_page(request: Request, db: DB, contract_id: int, status: int = 200, **context: object) -> Response:
    contract = _contract(db, contract_id)
    return render(
        request,
        "payments/topup.html",
        status,
        active="billing",
        tz=contract.tz,
        balance=format_roubles_ru(ledger.balance(db, contract_id)),
        payments=payments_of(db, contract_id, limit=20),
        statuses=STATUS_NAMES,
        money=format_roubles_ru,
        testmode=isinstance(gateway_of(services(request)), TestModeGateway),
        **context,
    )


@router.get("/billing/topup")
def topup_page(request: Request, who: PageSubscriber, db: DB, result: str = "") -> Response:
    notices = {"ok": "Платёж зачислен, баланс обновлён", "wait": "Платёж ещё обрабатывается: баланс обновится сам"}
    errors = {"canceled": "Платёж отменён — деньги не списаны"}
    return _topup_page(request, db, who.contract_id, notice=notices.get(result), error=errors.get(result))


@router.post("/billing/topup", dependencies=[Csrf])
def topup(
    request: Request,
    who: PageSubscriber,
    db: DB,
    amount: Annotated[str, Form()] = "",
    save_card: Annotated[bool, Form()] = False,
) -> Response:
    form = {"amount": amount, "save_card": save_card}
    if not is_password_session(who):
        return _topup_page(request, db, who.contract_id, 403, error=PASSWORD_REQUIRED, form=form)
    try:
        kopecks = parse_amount(amount)
    except FieldError as exc:
        return _topup_page(request, db, who.contract_id, 400, error=_error(exc), form=form)
    svc = services(request)
    try:
        row = start_payment(
            db, gateway_of(svc), who.contract_id, kopecks, return_url=return_url(svc.settings), save_method=save_card
        )
    except GatewayError:
        error = "Платёжный сервис сейчас недоступен, попробуйте позже"
        return _topup_page(request, db, who.contract_id, 503, error=error, form=form)
    return RedirectResponse(row.confirmation_url or "/billing/topup?result=wait", status_code=303)


@router.get("/billing/topup/return")
def topup_return(
    request: Request,
    who: PageSubscriber,
    db: DB,
    payment: Annotated[int, Query(ge=0, le=INT32_MAX, description="Our payment id (0: the newest open one)")] = 0,
) -> Response:
    """The provider sends the payer back here: settle the payment now (re-read from the provider, never trusted)."""
    gateway = gateway_of(services(request))
    row = db.get(Payment, payment) if payment else None
    if row is None or row.contract_id != who.contract_id:
        settled = settle_open(db, gateway, who.contract_id)
        row = next((r for r in settled if r.credited_at is not None), settled[0] if settled else None)
    elif row.status in OPEN_STATUSES and row.provider_id:
        with suppress(GatewayError):  # if the provider cannot be read now, the webhook or the job settles it
            settle(db, gateway, row.provider_id)
    result = "wait"
    if row is not None and row.credited_at is not None:
        result = "ok"
    elif row is not None and row.status == "canceled":
        result = "canceled"
    return RedirectResponse(f"/billing/topup?result={result}", status_code=303)


def _autopay_page(request: Request, db: DB, contract_id: int, status: int = 200, **context: object) -> Response:
    return render(
        request,
        "payments/autopay.html",
        status,
        active="billing",
        tz=_contract(db, contract_id).tz,
        autopay=autopay.settings_of(db, contract_id),
        cards=autopay.saved_cards(db, contract_id),
        money=format_roubles_ru,
        money_plain=format_roubles,
        max_failures=services(request).settings.autopay_max_failures,
        **context,
    )


@router.get("/billing/autopay")
def autopay_page(request: Request, who: PageSubscriber, db: DB) -> Response:
    return _autopay_page(request, db, who.contract_id)


@router.post("/billing/autopay", dependencies=[Csrf])
def autopay_enable(
    request: Request,
    who: PageSubscriber,
    db: DB,
    payment_method_id: Annotated[str, Form()] = "",
    threshold: Annotated[str, Form()] = "",
    amount: Annotated[str, Form()] = "",
) -> Response:
    form = {"payment_method_id": payment_method_id, "threshold": threshold, "amount": amount}
    if not is_password_session(who):
        return _autopay_page(request, db, who.contract_id, 403, error=PASSWORD_REQUIRED, form=form)
    try:
        autopay.enable(db, who.contract_id, payment_method_id, threshold, amount)
    except FieldError as exc:
        return _autopay_page(request, db, who.contract_id, 400, error=_error(exc), form=form)
    return _autopay_page(request, db, who.contract_id, notice="Автоплатёж включён")


@router.post("/billing/autopay/off", dependencies=[Csrf])
def autopay_disable(request: Request, who: PageSubscriber, db: DB) -> Response:
    autopay.disable(db, who.contract_id)
    return _autopay_page(request, db, who.contract_id, notice="Автоплатёж отключён, сохранённая карта забыта")


def _test_gateway(request: Request) -> TestModeGateway:
    gateway = gateway_of(services(request))
    if not isinstance(gateway, TestModeGateway):
        raise HTTPException(404, "Тестовый режим оплаты выключен")
    return gateway


@router.get("/billing/test-gateway/{payment_id}")
def test_gateway_page(request: Request, payment_id: str) -> Response:
    """The test-mode provider's confirmation page (no login: like a real provider's, its URL is the secret)."""
    row = _test_gateway(request).find(payment_id)
    if row is None:
        raise HTTPException(404, "Нет такого тестового платежа")
    return render(request, "payments/test_gateway.html", payment=row, money=format_roubles_ru)


@router.post("/billing/test-gateway/{payment_id}/pay", dependencies=[Csrf])
def test_gateway_pay(request: Request, payment_id: str, db: DB) -> Response:
    gateway = _test_gateway(request)
    try:
        target = gateway.confirm(payment_id)
    except GatewayError:
        raise HTTPException(404, "Нет такого тестового платежа") from None
    settle(db, gateway, payment_id)  # what its webhook would trigger; the return page would settle it too
    return RedirectResponse(target or "/billing/topup", status_code=303)


# -- operator console -------------------------------------------------------------------------------------------
def _payments_page(request: Request, db: DB, status_code: int = 200, **context: object) -> Response:
    status = request.query_params.get("status", "")
    number = request.query_params.get("contract", "").strip()
    contract = db.query(Contract).filter_by(number=number).first() if number else None
    rows = payments_of(db, contract.id if contract else (None if not number else -1), status=status, limit=300)
    numbers = dict(db.query(Contract.id, Contract.number).filter(Contract.id.in_({r.contract_id for r in rows})).all())
    return render(
        request,
        "payments/operator_payments.html",
        status_code,
        active="payments",
        payments=rows,
        numbers=numbers,
        refunds=refunds_of(db, [r.id for r in rows]),
        refundable={r.id: refundable_kopecks(db, r) for r in rows},
        statuses=STATUS_NAMES,
        status=status,
        contract=number,
        money=format_roubles_ru,
        **context,
    )


@operator.get("/payments")
def operator_payments(request: Request, who: PageOperator, db: DB) -> Response:
    return _payments_page(request, db)


@operator.post("/payments/{payment_id}/refund", dependencies=[Csrf])
def operator_refund(
    request: Request,
    payment_id: RowId,
    who: PageOperator,
    db: DB,
    amount: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    operator_row = db.get(Operator, who.operator_id)
    if operator_row is None:
        raise HTTPException(404, "Нет такого оператора")
    actor = operator_row.login
    try:
        refund = start_refund(db, gateway_of(services(request)), payment_id, amount, actor=actor, reason=reason)
    except FieldError as exc:
        return _payments_page(request, db, 400, error=_error(exc))
    except GatewayError as exc:
        return _payments_page(request, db, 502, error=f"Платёжный сервис отказал в возврате: {exc}")
    done = "выполнен" if refund.credited_at else "отправлен, ждём подтверждения"
    return _payments_page(request, db, notice=f"Возврат {format_roubles_ru(refund.amount_kopecks)} {done}")
