"""Online payments JSON API and the YooKassa webhook (domain logic: portal/billing/payments.py, refunds.py)."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Request
from pydantic import BaseModel, Field

from portal.billing import autopay
from portal.billing.gateway import GatewayError
from portal.billing.payments import parse_amount, payments_of, return_url, settle, start_payment, to_json
from portal.billing.provider import gateway_of
from portal.billing.refunds import settle_refund
from portal.billing.session_guard import PasswordSubscriber
from portal.cabinet.errors import FieldError
from portal.deps import DB, Subscriber, services
from portal.models import Payment
from portal.params import RowId
from portal.routers import billing as billing_api

router = APIRouter(prefix="/api/v1/billing", tags=["billing payments"])
if autopay.account_json not in billing_api.AUTOPAY_PROVIDERS:  # GET /api/v1/billing/account's `autopay`
    billing_api.AUTOPAY_PROVIDERS.append(autopay.account_json)
EVENTS = ("payment.succeeded", "payment.canceled", "payment.waiting_for_capture", "refund.succeeded")
GATEWAY_DOWN = "gateway: платёжный сервис сейчас недоступен, попробуйте позже"


class PaymentOut(BaseModel):
    id: int
    status: str = Field(description="new | pending | waiting_for_capture | succeeded | canceled | failed | mismatch")
    amount: str = Field(description='Roubles, e.g. "150.00"')
    currency: str
    purpose: str = Field(description="topup | autopay")
    confirmation_url: str | None = Field(description="Where to send the payer (None once settled or for autopay)")
    provider_id: str | None
    credited: bool
    created_at: str


class PaymentRequest(BaseModel):
    amount: Any = Field(None, description='Roubles as a decimal string, e.g. "150.00" (1.00 … 100000.00)')
    save_payment_method: bool = Field(False, description="Ask the provider to save the card for auto-payment")


@router.post("/payments", status_code=201, response_model=PaymentOut)
def create_payment(body: PaymentRequest, request: Request, who: PasswordSubscriber, db: DB) -> dict:
    """Start a top-up: `{"id", "status": "pending", "confirmation_url"}` — send the payer to the URL."""
    try:
        kopecks = parse_amount(body.amount)
    except FieldError as exc:
        raise HTTPException(422, f"{exc.field}: {exc.reason}") from None
    svc = services(request)
    try:
        row = start_payment(
            db,
            gateway_of(svc),
            who.contract_id,
            kopecks,
            return_url=return_url(svc.settings),
            save_method=body.save_payment_method,
        )
    except GatewayError:
        raise HTTPException(502, GATEWAY_DOWN) from None
    return to_json(row)


@router.get("/payments", response_model=list[PaymentOut])
def list_payments(who: Subscriber, db: DB) -> list[dict]:
    """The caller's payments, newest first."""
    return [to_json(row) for row in payments_of(db, who.contract_id, limit=100)]


@router.get("/payments/{payment_id}", response_model=PaymentOut)
def get_payment(payment_id: RowId, who: Subscriber, db: DB) -> dict:
    row = db.get(Payment, payment_id)
    if row is None or row.contract_id != who.contract_id:
        raise HTTPException(404, "payment: no such payment of yours")
    return to_json(row)


@router.get("/autopay")
def get_autopay(who: Subscriber, db: DB) -> dict:
    return autopay.to_json(autopay.settings_of(db, who.contract_id))


@router.post("/webhooks/yookassa")
def yookassa_webhook(payload: Annotated[dict[str, Any], Body()], request: Request, db: DB) -> dict:
    """YooKassa's HTTP notification. Only the object's id is taken from the body: the payment (or refund) is
    re-read from the provider and settled from that. 200 = done (or not ours); 503 = cannot verify now, the
    provider retries the delivery."""
    event, obj = payload.get("event"), payload.get("object")
    if payload.get("type") != "notification" or event not in EVENTS:
        raise HTTPException(422, f"event: expected one of {', '.join(EVENTS)}")
    object_id = obj.get("id") if isinstance(obj, dict) else None
    if not isinstance(object_id, str) or not object_id:
        raise HTTPException(422, "object.id: missing")
    gateway = gateway_of(services(request))
    try:
        settled = (
            settle_refund(db, gateway, object_id) if event.startswith("refund.") else settle(db, gateway, object_id)
        )
    except GatewayError as exc:
        if exc.retryable:
            raise HTTPException(503, "provider: cannot verify the notification now") from None
        return {"status": "ignored"}  # the provider does not know this id: a forged notification
    return {"status": "ok" if settled is not None else "ignored"}
