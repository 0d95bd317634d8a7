"""«Обещанный платёж»: credit for N days (operator setting), at most once per calendar month of the contract's
zone. The credit covers the current debt plus the next N days' charges; when it expires the reversing entry is
posted (key ``promised_expiry:{id}``), whatever was paid in between stays."""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.billing import ledger
from portal.billing.accrual import day_share, discounted, local_day
from portal.billing.money import format_roubles_ru
from portal.billing.settings import billing_settings
from portal.cabinet.errors import FieldError
from portal.models import ContractBilling, PromisedPayment, Tariff


def month_of(now: datetime, tz: str) -> str:
    return local_day(now, tz).strftime("%Y-%m")


def credit_needed(db: Session, account: ContractBilling, days: int, now: datetime) -> int:
    """Debt plus the charges of the next ``days`` days: what keeps the balance at zero or above that long."""
    tariff = db.get(Tariff, account.pending_tariff_id or account.tariff_id) if account.tariff_id else None
    if tariff is None:
        return 0
    monthly = tariff.monthly_price_kopecks
    if account.discount_percent and account.discount_tariff_id == tariff.id:
        monthly = discounted(monthly, account.discount_percent)
    first = (account.accrued_through or local_day(now, account.tz)) + timedelta(days=1)
    upcoming = sum(day_share(monthly, first + timedelta(days=i)) for i in range(days))
    return max(0, upcoming - account.balance_kopecks)


def available(db: Session, contract_id: int, now: datetime) -> tuple[bool, str, int]:
    """(may take now, why not in Russian, amount it would credit)."""
    settings = billing_settings(db)
    if not settings.promised_enabled:
        return False, "Обещанный платёж сейчас не предоставляется.", 0
    account = db.get(ContractBilling, contract_id)
    if account is None or account.tariff_id is None:
        return False, "У договора нет тарифа.", 0
    month = month_of(now, account.tz)
    taken = db.scalar(
        select(PromisedPayment).where(PromisedPayment.contract_id == contract_id, PromisedPayment.month == month)
    )
    if taken is not None:
        return False, "Обещанный платёж уже был в этом месяце: он доступен раз в месяц.", 0
    amount = credit_needed(db, account, settings.promised_days, now)
    if amount <= 0:
        return False, f"На балансе хватает средств на ближайшие {settings.promised_days} дн.", 0
    return True, "", amount


def take(db: Session, contract_id: int, now: datetime) -> PromisedPayment:
    """Grant it (FieldError("promised") when not available); posts the ``promised`` credit once."""
    account = ledger.lock_account(db, contract_id)  # one grant at a time per contract
    ok, why, amount = available(db, contract_id, now)
    if not ok:
        raise FieldError("promised", why)
    days = billing_settings(db).promised_days
    grant = PromisedPayment(
        contract_id=contract_id,
        month=month_of(now, account.tz),
        amount_kopecks=amount,
        granted_at=now,
        expires_at=now + timedelta(days=days),
    )
    try:
        with db.begin_nested():
            db.add(grant)
            db.flush()
    except IntegrityError:
        raise FieldError("promised", "Обещанный платёж уже был в этом месяце: он доступен раз в месяц.") from None
    ledger.post(
        db,
        contract_id,
        "promised",
        amount,
        key=f"promised:{contract_id}:{grant.month}",
        description=f"Обещанный платёж {format_roubles_ru(amount)} на {days} дн.",
        actor="subscriber",
        at=now,
        ref=str(grant.id),
    )
    return grant


def expire_due(db: Session, now: datetime) -> int:
    """Post the reversing entry of every promised payment past its term; idempotent by its key."""
    due = list(
        db.scalars(
            select(PromisedPayment).where(PromisedPayment.expired_at.is_(None), PromisedPayment.expires_at <= now)
        )
    )
    for grant in due:
        ledger.post(
            db,
            grant.contract_id,
            "promised_expiry",
            -grant.amount_kopecks,
            key=f"promised_expiry:{grant.id}",
            description="Срок обещанного платежа истёк",
            at=now,
            ref=str(grant.id),
        )
        grant.expired_at = now
    db.flush()
    return len(due)


def active_grant(db: Session, contract_id: int) -> PromisedPayment | None:
    return db.scalar(
        select(PromisedPayment).where(PromisedPayment.contract_id == contract_id, PromisedPayment.expired_at.is_(None))
    )
