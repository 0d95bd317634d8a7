"""Refunds through the gateway (operator console). The ledger's `refund` entry is posted once the provider
says the refund succeeded (its answer, the `refund.succeeded` webhook re-read, or the reconciliation job),
keyed ``refund:{provider_refund_id}`` so it happens once."""

import logging
import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from portal.billing import ledger
from portal.billing.gateway import SUCCEEDED, GatewayError, PaymentGateway
from portal.billing.money import format_roubles, parse_roubles
from portal.cabinet.errors import FieldError
from portal.models import Payment, Refund, utcnow

log = logging.getLogger(__name__)
OPEN = ("new", "pending")


def refundable_kopecks(db: Session, payment: Payment) -> int:
    """What is left to refund: the payment minus refunds that succeeded or are still under way."""
    taken = db.scalar(
        select(func.coalesce(func.sum(Refund.amount_kopecks), 0)).where(
            Refund.payment_id == payment.id, Refund.status.in_((*OPEN, SUCCEEDED))
        )
    )
    return payment.amount_kopecks - int(taken or 0) if payment.credited_at is not None else 0


def start_refund(
    db: Session, gateway: PaymentGateway, payment_id: int, amount: str, *, actor: str, reason: str
) -> Refund:
    payment = db.get(Payment, payment_id)
    if payment is None:
        raise FieldError("payment", "нет такого платежа")
    left = refundable_kopecks(db, payment)
    if left <= 0:
        raise FieldError("payment", "платёж не зачислен или уже возвращён полностью")
    kopecks = parse_roubles(amount, field="amount", max_kopecks=left) if amount.strip() else left
    if not reason.strip():
        raise FieldError("reason", "укажите причину возврата")
    refund = Refund(
        payment_id=payment.id,
        amount_kopecks=kopecks,
        idempotence_key=f"refund-{uuid.uuid4()}",
        reason=reason.strip()[:300],
        actor=actor[:64],
    )
    db.add(refund)
    db.commit()  # no transaction open across the provider call
    submit_refund(db, gateway, refund, payment)
    return refund


def submit_refund(db: Session, gateway: PaymentGateway, refund: Refund, payment: Payment) -> None:
    try:
        remote = gateway.create_refund(
            payment_id=payment.provider_id or "",
            amount_kopecks=refund.amount_kopecks,
            idempotence_key=refund.idempotence_key,
        )
    except GatewayError as exc:
        refund.error = str(exc)[:500]
        if not exc.retryable:
            refund.status = "failed"
        db.commit()
        raise
    refund.provider_id, refund.status, refund.updated_at = remote.id, remote.status, utcnow()
    db.commit()
    if remote.status == SUCCEEDED:
        settle_refund(db, gateway, remote.id)
        db.commit()


def settle_refund(db: Session, gateway: PaymentGateway, provider_id: str) -> Refund | None:
    """Re-read the refund from the provider; post the ledger's refund entry once it succeeded."""
    remote = gateway.get_refund(provider_id)
    if db.get_bind().dialect.name == "sqlite":  # take the write lock first (see payments._lock)
        db.execute(update(Refund).where(Refund.provider_id == remote.id).values(updated_at=utcnow()))
    query = select(Refund).where(Refund.provider_id == remote.id).execution_options(populate_existing=True)
    refund = db.scalars(query.with_for_update()).first()
    if refund is None:
        log.warning("refund %s is not ours; ignored", provider_id)
        return None
    payment = db.get(Payment, refund.payment_id)
    if refund.credited_at is not None:
        return refund
    if payment is None:
        raise LookupError(f"refund {refund.id}: no payment {refund.payment_id}")
    if remote.amount_kopecks != refund.amount_kopecks or remote.payment_id != payment.provider_id:
        refund.error = f"провайдер сообщает другой возврат: {format_roubles(remote.amount_kopecks)}"
        return refund
    refund.status = remote.status
    if remote.status == SUCCEEDED:
        ledger.post(
            db,
            payment.contract_id,
            "refund",
            -refund.amount_kopecks,
            key=f"refund:{remote.id}",
            description=f"Возврат платежа: {refund.reason}",
            actor=refund.actor or "operator",
            ref=remote.id,
        )
        refund.credited_at = utcnow()
        payment.refunded_kopecks += refund.amount_kopecks
    db.flush()
    return refund


def reconcile_refunds(database, gateway: PaymentGateway, now: datetime, min_age: float) -> None:
    with database.session() as db:
        rows = db.execute(
            select(Refund.id, Refund.provider_id).where(
                Refund.status.in_(OPEN), Refund.created_at <= now - timedelta(seconds=min_age)
            )
        ).all()
    for refund_id, provider_id in rows:
        try:
            with database.session() as db:
                if provider_id is None:
                    refund = db.get(Refund, refund_id)
                    submit_refund(db, gateway, refund, db.get(Payment, refund.payment_id))
                else:
                    settle_refund(db, gateway, provider_id)
        except GatewayError as exc:
            log.warning("reconcile refund %s: %s", refund_id, exc)


def refunds_of(db: Session, payment_ids: list[int]) -> dict[int, list[Refund]]:
    found: dict[int, list[Refund]] = {}
    if payment_ids:
        for refund in db.scalars(select(Refund).where(Refund.payment_id.in_(payment_ids)).order_by(Refund.id)):
            found.setdefault(refund.payment_id, []).append(refund)
    return found
