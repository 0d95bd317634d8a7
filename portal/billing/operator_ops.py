"""What the operator does to a contract's money: manual adjustments (who, why), and the debtors list."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.billing import ledger
from portal.billing.gate import contract_access_state
from portal.billing.money import parse_roubles
from portal.cabinet.errors import FieldError
from portal.models import Contract, ContractBilling, LedgerEntry, Tariff


def adjust(db: Session, contract_id: int, amount: str, reason: str, *, actor: str, nonce: str) -> LedgerEntry:
    """A signed manual correction with its reason; ``nonce`` (from the form) makes a resubmit a no-op."""
    kopecks = parse_roubles(amount, field="amount", signed=True)
    reason = reason.strip()
    if len(reason) < 3:
        raise FieldError("reason", "укажите причину корректировки")
    nonce = nonce.strip()
    if not nonce or len(nonce) > 64:
        raise FieldError("nonce", "форма устарела, откройте страницу снова")
    if db.get(Contract, contract_id) is None:
        raise FieldError("contract_id", "нет такого договора")
    return ledger.post(
        db,
        contract_id,
        "adjustment",
        kopecks,
        key=f"adjustment:{contract_id}:{nonce}",
        description=f"Корректировка: {reason}"[:500],
        actor=actor,
    )


@dataclass(frozen=True)
class Debtor:
    contract: Contract
    balance_kopecks: int
    negative_since: datetime | None
    suspended: bool
    tariff: Tariff | None


def debtors(db: Session, now: datetime, limit: int = 500) -> list[Debtor]:
    rows = db.execute(
        select(Contract, ContractBilling)
        .join(ContractBilling, ContractBilling.contract_id == Contract.id)
        .where(ContractBilling.balance_kopecks < 0)
        .order_by(ContractBilling.balance_kopecks, Contract.number)
        .limit(limit)
    ).unique()
    out = []
    for contract, account in rows:
        state = contract_access_state(db, contract.id, now)
        out.append(Debtor(contract, account.balance_kopecks, account.negative_since, state.suspended, account.tariff))
    return out
