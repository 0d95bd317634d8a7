"""Auto-payment: charge the card saved at an earlier payment before the balance would drop below the
subscriber's threshold (zero at least: never let the next daily charge take it negative).

At most one attempt per contract per local day: the attempt's payment row has the idempotence key
``autopay:{contract}:{day}`` (unique), so several workers running the job at once make one charge, and the
provider sees the same key if we retry. A declined charge notifies the subscriber (SMS + e-mail outbox);
``autopay_max_failures`` declines in a row switch auto-payment off. Opting out forgets the saved card.
"""

import logging
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.billing import accrual, ledger
from portal.billing.gateway import CANCELED, SUCCEEDED, GatewayError, PaymentGateway
from portal.billing.money import format_roubles, format_roubles_ru, parse_roubles
from portal.billing.payments import submit
from portal.cabinet.contracts import emails_of, phones_of
from portal.cabinet.errors import FieldError
from portal.models import Autopay, Contract, ContractBilling, Payment, utcnow
from portal.notify import outbox

log = logging.getLogger(__name__)


def saved_cards(db: Session, contract_id: int) -> list[tuple[str, str]]:
    """(payment_method_id, title) of cards the provider saved at this contract's payments, newest first."""
    rows = db.execute(
        select(Payment.payment_method_id, Payment.payment_method_title)
        .where(Payment.contract_id == contract_id, Payment.payment_method_id.is_not(None))
        .order_by(Payment.id.desc())
    ).all()
    seen: dict[str, str] = {}
    for method_id, title in rows:
        if method_id is not None:  # excluded by the query; narrows the type
            seen.setdefault(method_id, title or "Карта")
    return list(seen.items())


def settings_of(db: Session, contract_id: int) -> Autopay | None:
    return db.get(Autopay, contract_id)


def enable(db: Session, contract_id: int, method_id: str, threshold: str, amount: str) -> Autopay:
    cards = dict(saved_cards(db, contract_id))
    if method_id not in cards:
        raise FieldError("payment_method_id", "выберите карту, сохранённую при оплате")
    threshold_kopecks = 0 if threshold.strip() in ("", "0") else parse_roubles(threshold, field="threshold")
    amount_kopecks = parse_roubles(amount, field="amount")
    if amount_kopecks < 100:
        raise FieldError("amount", "сумма автоплатежа — не меньше 1.00 ₽")
    row = db.get(Autopay, contract_id) or Autopay(contract_id=contract_id)
    row.enabled, row.payment_method_id, row.method_title = True, method_id, cards[method_id]
    row.threshold_kopecks, row.amount_kopecks = threshold_kopecks, amount_kopecks
    row.failures, row.last_error, row.updated_at = 0, "", utcnow()
    db.add(row)
    db.flush()
    return row


def disable(db: Session, contract_id: int) -> None:
    """Opt out: auto-payment off and every saved card of the contract forgotten (it cannot be charged again)."""
    row = db.get(Autopay, contract_id)
    if row is not None:
        row.enabled, row.payment_method_id, row.method_title, row.updated_at = False, None, "", utcnow()
    db.execute(
        update(Payment)
        .where(Payment.contract_id == contract_id, Payment.payment_method_id.is_not(None))
        .values(payment_method_id=None, payment_method_title="")
    )
    db.flush()


def to_json(row: Autopay | None) -> dict:
    if row is None or not row.enabled:  # why it stopped, if it did (e.g. too many declines)
        return {"enabled": False, **({"last_error": row.last_error} if row is not None and row.last_error else {})}
    return {
        "enabled": True,
        "card": row.method_title,
        "threshold": format_roubles(row.threshold_kopecks),
        "amount": format_roubles(row.amount_kopecks),
        "failures": row.failures,
        "last_error": row.last_error,
    }


def account_json(db: Session, contract_id: int) -> dict:
    """The `autopay` object of GET /api/v1/billing/account."""
    return to_json(settings_of(db, contract_id))


def due(db: Session, row: Autopay, now: datetime) -> bool:
    """Would the balance, after the next daily charge, be below the threshold (or below zero)?"""
    account = db.get(ContractBilling, row.contract_id)
    upcoming = accrual.next_charge(db, account, now) if account is not None else None
    next_kopecks = upcoming[1] if upcoming else 0
    return ledger.balance(db, row.contract_id) - next_kopecks < max(row.threshold_kopecks, 0)


def run(database, gateway: PaymentGateway, settings, now: datetime | None = None) -> int:
    """One pass of the job: note the outcome of earlier attempts, then charge every enabled, due contract
    (once a local day). Returns how many charges it attempted."""
    now = now or utcnow()
    with database.session() as db:
        contract_ids = list(db.scalars(select(Autopay.contract_id).where(Autopay.enabled.is_(True))))
    attempted = 0
    for contract_id in contract_ids:
        try:
            with database.session() as db:
                note_outcome(db, contract_id, settings)
            attempted += _attempt(database, gateway, settings, contract_id, now)
        except GatewayError as exc:  # the row stays `new`/open: the reconciliation retries with the same key
            log.warning("autopay for contract %s: %s", contract_id, exc)
    return attempted


def _attempt(database, gateway: PaymentGateway, settings, contract_id: int, now: datetime) -> int:
    with database.session() as db:
        row = db.get(Autopay, contract_id)
        if row is None or not row.enabled or not row.payment_method_id or not due(db, row, now):
            return 0
        account = db.get(ContractBilling, contract_id)
        day = accrual.local_day(now, account.tz if account else "UTC").isoformat()
        if row.last_attempt_on == day:
            return 0
        number = db.scalar(select(Contract.number).where(Contract.id == contract_id)) or ""
        payment = Payment(
            contract_id=contract_id,
            amount_kopecks=row.amount_kopecks,
            purpose="autopay",
            description=f"Автоплатёж, договор {number}",
            gateway=gateway.name,
            idempotence_key=f"autopay:{contract_id}:{day}",
            payment_method_id=row.payment_method_id,
        )
        db.add(payment)
        try:
            db.flush()
        except IntegrityError:  # another worker made today's attempt
            db.rollback()
            return 0
        row.last_attempt_on, row.last_payment_id = day, payment.id
        db.commit()  # before the provider call (payments.submit commits again after it)
        submit(db, gateway, payment)
        note_outcome(db, contract_id, settings)
    return 1


def note_outcome(db: Session, contract_id: int, settings) -> None:
    """Count the last attempt once it has an outcome: success resets the failures; a decline counts one,
    tells the subscriber and, at the limit, switches auto-payment off."""
    row = db.get(Autopay, contract_id)
    if row is None or row.last_payment_id is None or row.noted_payment_id == row.last_payment_id:
        return
    payment = db.get(Payment, row.last_payment_id)
    if payment is None or payment.status not in (SUCCEEDED, CANCELED, "failed"):
        return  # still open: the webhook or the reconciliation will settle it
    row.noted_payment_id = payment.id
    if payment.status == SUCCEEDED:
        row.failures, row.last_error = 0, ""
        return
    reason = payment.cancellation_reason or payment.error or "отклонён"
    row.failures += 1
    row.last_error = f"платёж отклонён: {reason}"[:300]
    text = f"Дозор: автоплатёж {format_roubles_ru(row.amount_kopecks)} не прошёл ({reason})."
    if row.failures >= settings.autopay_max_failures:
        row.enabled = False
        text += f" После {row.failures} неудачных попыток автоплатёж отключён; пополните баланс в кабинете."
    else:
        text += " Попробуем снова завтра; проверьте карту или пополните баланс в кабинете."
    # Every bound phone and e-mail, whatever the subscriptions say: money is at stake (the notification centre's
    # one outbox delivers them; docs/notify.md).
    for phone in phones_of(db, contract_id):
        outbox.enqueue(db, "sms", phone.phone, text, category="billing", contract_id=contract_id, urgent=True)
    for email in emails_of(db, contract_id):
        outbox.enqueue(
            db, "email", email.email, text, subject="Дозор: автоплатёж", category="billing", contract_id=contract_id,
            urgent=True,
        )  # fmt: skip
    db.flush()
