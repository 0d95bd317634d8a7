"""Online payments: start a payment at the gateway, settle it from what the provider says, credit it once.

Trust: nothing a webhook body says is believed. `settle` re-reads the payment from the provider
(``GET /v3/payments/{id}``) and compares amount and currency with our own row before crediting.
Exactly once: the payment row is locked (``FOR UPDATE`` on PostgreSQL; on SQLite a first write takes the
database's write lock) and the ledger entry's key is ``payment:{provider_id}``, unique — so five concurrent
deliveries of one webhook, the payer's return and the reconciliation job together make one credit.
No transaction stays open across a call to the provider: rows are committed before each call.
"""

import logging
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.billing import ledger
from portal.billing.gateway import CANCELED, OPEN_STATUSES, SUCCEEDED, GatewayError, PaymentGateway
from portal.billing.money import format_roubles, parse_roubles
from portal.cabinet.errors import FieldError
from portal.models import Contract, Payment, utcnow

log = logging.getLogger(__name__)
MIN_KOPECKS = 100  # YooKassa's smallest payment: 1.00 ₽
RETRY_CREATE_FOR = timedelta(hours=23)  # the provider keeps idempotence keys for 24 h


def parse_amount(value: object, *, field: str = "amount") -> int:
    """A top-up amount as kopecks, or FieldError naming `field`: 0, negative, 3 decimals, not a number, too big."""
    kopecks = parse_roubles(value if isinstance(value, str) else "" if value is None else str(value), field=field)
    if kopecks < MIN_KOPECKS:
        raise FieldError(field, f"сумма должна быть не меньше {format_roubles(MIN_KOPECKS)} ₽")
    return kopecks


def start_payment(
    db: Session,
    gateway: PaymentGateway,
    contract_id: int,
    amount_kopecks: int,
    *,
    return_url: str,
    save_method: bool = False,
    purpose: str = "topup",
    payment_method_id: str | None = None,
    key: str | None = None,
) -> Payment:
    """Create our row, commit it, then ask the provider (same key on every retry). Raises GatewayError."""
    contract = db.get(Contract, contract_id)
    if contract is None:
        raise LookupError(f"no contract {contract_id}")
    what = "Автоплатёж" if purpose == "autopay" else "Пополнение баланса"
    row = Payment(
        contract_id=contract_id,
        amount_kopecks=amount_kopecks,
        purpose=purpose,
        description=f"{what}, договор {contract.number}",
        gateway=gateway.name,
        idempotence_key=key or f"pay-{uuid.uuid4()}",
        return_url=return_url,
        save_method=save_method,
        payment_method_id=payment_method_id,
    )
    db.add(row)
    db.flush()
    if return_url:  # the cabinet's return page shows this payment's outcome
        row.return_url = f"{return_url}{'&' if '?' in return_url else '?'}payment={row.id}"
    db.commit()  # a crash during the call below leaves a row the reconciliation re-submits with the same key
    submit(db, gateway, row)
    return row


def submit(db: Session, gateway: PaymentGateway, row: Payment) -> None:
    """(Re)send the create call for a `new` row; an immediate outcome (a recurring charge) is settled at once."""
    number = db.scalar(select(Contract.number).where(Contract.id == row.contract_id)) or ""
    if row.purpose == "autopay" and not row.payment_method_id:  # the subscriber opted out meanwhile
        row.status, row.error = "failed", "карта забыта по отказу от автоплатежа"
        db.commit()
        return
    try:
        remote = gateway.create_payment(
            amount_kopecks=row.amount_kopecks,
            description=row.description,
            return_url=row.return_url,
            idempotence_key=row.idempotence_key,
            save_payment_method=row.save_method,
            payment_method_id=row.payment_method_id if row.purpose == "autopay" else None,
            metadata={"payment_id": str(row.id), "contract": number},
        )
    except GatewayError as exc:
        row.error = str(exc)[:500]
        if not exc.retryable:
            row.status = "failed"
        row.updated_at = utcnow()
        db.commit()
        raise
    row.provider_id = remote.id
    row.status = remote.status
    row.confirmation_url = remote.confirmation_url or ""
    row.error, row.updated_at = "", utcnow()
    db.commit()
    if remote.status not in OPEN_STATUSES:
        settle(db, gateway, remote.id)
        db.commit()


def _lock(db: Session, **where: object) -> Payment | None:
    """Our payment row, locked until the transaction ends (waits for a concurrent settler to finish)."""
    if db.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks: a write first takes the database write lock, so the read below is current.
        db.execute(update(Payment).filter_by(**where).values(updated_at=utcnow()))
    query = select(Payment).filter_by(**where).execution_options(populate_existing=True)
    return db.scalars(query.with_for_update()).first()


def settle(db: Session, gateway: PaymentGateway, provider_id: str) -> Payment | None:
    """Bring our row in line with the provider's payment; credit it once if it succeeded with our amount.

    Returns our row (None if the payment is not ours). Flushes; the caller commits. Raises GatewayError when
    the provider cannot be read (the webhook is then retried by the provider, or the job settles it later).
    """
    remote = gateway.get_payment(provider_id)
    row = _lock(db, provider_id=remote.id)
    if row is None and remote.metadata.get("payment_id", "").isdigit():
        # The provider's own object (read with our credentials) names our row: the create call's answer was lost.
        row = _lock(db, id=int(remote.metadata["payment_id"]), provider_id=None)
        if row is not None:
            row.provider_id = remote.id
    if row is None:
        log.warning("payment %s is not ours; ignored", provider_id)
        return None
    if row.credited_at is not None:
        return row
    if (remote.amount_kopecks, remote.currency) != (row.amount_kopecks, row.currency):
        # Never credit what we did not ask for: the operator sees the mismatch on the payments page.
        row.status = "mismatch"  # stops the reconciliation polling it; kept for the operator
        row.error = f"сумма у провайдера {format_roubles(remote.amount_kopecks)} {remote.currency} не совпадает"
        log.error("payment %s: provider amount %s %s != ours", remote.id, remote.amount_kopecks, remote.currency)
        db.flush()
        return row
    row.status = remote.status
    row.updated_at = utcnow()
    if remote.succeeded:
        _credit(db, row, remote.payment_method_id if remote.payment_method_saved else None, remote.payment_method_title)
    elif remote.status == CANCELED:
        row.cancellation_reason = remote.cancellation_reason[:64]  # an auto-payment's decline: autopay.note_outcome
    db.flush()
    return row


def _credit(db: Session, row: Payment, saved_method: str | None, method_title: str) -> None:
    ledger.post(
        db,
        row.contract_id,
        "payment",
        row.amount_kopecks,
        key=f"payment:{row.provider_id}",
        description="Автоплатёж картой" if row.purpose == "autopay" else "Онлайн-оплата",
        actor="subscriber" if row.purpose == "topup" else "system",
        ref=row.provider_id or "",
    )
    row.credited_at = utcnow()
    row.status = SUCCEEDED
    if saved_method and row.save_method:
        row.payment_method_id, row.payment_method_title = saved_method, method_title


def reconcile(database, gateway: PaymentGateway, now: datetime | None = None, min_age: float = 30.0) -> dict:
    """Settle open payments whose webhook never came; re-submit rows whose create call got no answer.

    Safe with several workers: each settle is the locked, idempotent one above.
    """
    now = now or utcnow()
    counts = {"checked": 0, "credited": 0, "failed": 0}
    with database.session() as db:
        rows = db.execute(
            select(Payment.id, Payment.provider_id, Payment.created_at).where(
                Payment.status.in_(("new", *OPEN_STATUSES)), Payment.created_at <= now - timedelta(seconds=min_age)
            )
        ).all()
    for payment_id, provider_id, created_at in rows:
        counts["checked"] += 1
        try:
            with database.session() as db:
                if provider_id is None:
                    row = db.get(Payment, payment_id)
                    if now - created_at > RETRY_CREATE_FOR:
                        row.status, row.error = "failed", row.error or "платёжный шлюз не ответил"
                        counts["failed"] += 1
                        continue
                    submit(db, gateway, row)
                    provider_id = row.provider_id
                settled = settle(db, gateway, provider_id) if provider_id else None
                if settled is not None and settled.credited_at is not None:
                    counts["credited"] += 1
        except GatewayError as exc:
            log.warning("reconcile payment %s: %s", payment_id, exc)
    from portal.billing.refunds import reconcile_refunds

    reconcile_refunds(database, gateway, now, min_age)
    return counts


def payments_of(db: Session, contract_id: int | None = None, status: str = "", limit: int = 200) -> list[Payment]:
    query = select(Payment).order_by(Payment.id.desc()).limit(limit)
    if contract_id is not None:
        query = query.where(Payment.contract_id == contract_id)
    if status:
        query = query.where(Payment.status == status)
    return list(db.scalars(query))


def to_json(row: Payment) -> dict:
    return {
        "id": row.id,
        "status": row.status,
        "amount": format_roubles(row.amount_kopecks),
        "currency": row.currency,
        "purpose": row.purpose,
        "confirmation_url": row.confirmation_url or None,
        "provider_id": row.provider_id,
        "credited": row.credited_at is not None,
        "created_at": row.created_at.isoformat(),
    }


def return_url(settings) -> str:
    """Where the provider sends the payer back: the cabinet settles their open payments there."""
    return f"{settings.public_url.rstrip('/')}/billing/topup/return"


def settle_open(db: Session, gateway: PaymentGateway, contract_id: int) -> list[Payment]:
    """The payer is back from the provider: re-read their open payments now rather than wait for the webhook."""
    open_ids = list(
        db.scalars(
            select(Payment.provider_id).where(
                Payment.contract_id == contract_id, Payment.status.in_(OPEN_STATUSES), Payment.provider_id.is_not(None)
            )
        )
    )
    settled = []
    for provider_id in open_ids:
        if provider_id is None:  # excluded by the query; narrows the type
            continue
        try:
            row = settle(db, gateway, provider_id)
        except GatewayError as exc:
            log.warning("settle on return %s: %s", provider_id, exc)
            continue
        db.commit()
        if row is not None:
            settled.append(row)
    return settled
