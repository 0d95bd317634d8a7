"""A contract's billing at a glance (balance, status, tariff, next charge) and its ledger history."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.billing import accrual
from portal.billing.gate import AccessState, contract_access_state
from portal.billing.ledger import ensure_account
from portal.models import ContractBilling, LedgerEntry, Tariff

KIND_TITLES = {
    "accrual": "Абонентская плата",
    "payment": "Оплата",
    "refund": "Возврат",
    "adjustment": "Корректировка",
    "promised": "Обещанный платёж",
    "promised_expiry": "Окончание обещанного платежа",
    "offer": "Бонус по предложению",
}


@dataclass(frozen=True)
class Summary:
    account: ContractBilling
    balance_kopecks: int
    access: AccessState
    tariff: Tariff | None
    pending_tariff: Tariff | None
    pending_from: date | None
    next_charge: tuple[date, int] | None

    @property
    def status(self) -> str:
        return "suspended" if self.access.suspended else "active"


def summary(db: Session, contract_id: int, now: datetime) -> Summary:
    ensure_account(db, contract_id)
    account = db.get(ContractBilling, contract_id)
    if account is None:
        raise LookupError(f"no billing account for contract {contract_id}")
    return Summary(
        account=account,
        balance_kopecks=account.balance_kopecks,
        access=contract_access_state(db, contract_id, now),
        tariff=db.get(Tariff, account.tariff_id) if account.tariff_id else None,
        pending_tariff=db.get(Tariff, account.pending_tariff_id) if account.pending_tariff_id else None,
        pending_from=account.pending_from,
        next_charge=accrual.next_charge(db, account, now),
    )


def entries(
    db: Session, contract_id: int, start: datetime | None = None, end: datetime | None = None, limit: int = 5000
) -> list[LedgerEntry]:
    """The contract's entries in [start, end), newest first."""
    query = select(LedgerEntry).where(LedgerEntry.contract_id == contract_id)
    if start is not None:
        query = query.where(LedgerEntry.at >= start)
    if end is not None:
        query = query.where(LedgerEntry.at < end)
    return list(db.scalars(query.order_by(LedgerEntry.id.desc()).limit(limit)))
