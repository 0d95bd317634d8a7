"""The money ledger: append-only, idempotent posts; the balance is the sum of a contract's entries.

Every post takes the contract's billing row ``FOR UPDATE`` first (PostgreSQL; SQLite serialises writers by
itself), so ``balance_after`` of consecutive entries is exact however many workers post at once, and the unique
``idempotency_key`` makes a retried or concurrent post of the same event return the existing entry.
"""

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.models import Contract, ContractBilling, LedgerEntry, utcnow
from portal.models.billing import LEDGER_KINDS


def ensure_account(db: Session, contract_id: int) -> None:
    """Create the contract's billing row if missing (concurrent callers: the first one wins, no error)."""
    if db.get(ContractBilling, contract_id) is not None:
        return
    contract = db.get(Contract, contract_id)
    if contract is None:
        raise LookupError(f"no contract {contract_id}")
    values = {"contract_id": contract_id, "tz": contract.tz, "balance_kopecks": 0, "discount_percent": 0}
    values["created_at"] = utcnow()
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.execute(insert(ContractBilling).values(**values).on_conflict_do_nothing(index_elements=["contract_id"]))


def lock_account(db: Session, contract_id: int) -> ContractBilling:
    """The contract's billing row, locked until the transaction ends; created if missing."""
    ensure_account(db, contract_id)
    query = select(ContractBilling).where(ContractBilling.contract_id == contract_id)
    query = query.with_for_update(of=ContractBilling).execution_options(populate_existing=True)
    return db.scalars(query).unique().one()


def find(db: Session, key: str) -> LedgerEntry | None:
    return db.scalars(select(LedgerEntry).where(LedgerEntry.idempotency_key == key)).first()


def post(
    db: Session,
    contract_id: int,
    kind: str,
    amount_kopecks: int,
    *,
    key: str,
    description: str,
    actor: str = "system",
    at: datetime | None = None,
    ref: str = "",
    service_date=None,
) -> LedgerEntry:
    """Append one entry (signed kopecks) unless an entry with ``key`` exists; return the entry either way.

    Flushes but does not commit: the caller's unit of work decides. The same key twice never makes a second row.
    """
    if kind not in LEDGER_KINDS:
        raise ValueError(f"unknown ledger kind {kind!r}")
    if not isinstance(amount_kopecks, int) or isinstance(amount_kopecks, bool):
        raise TypeError("amount_kopecks must be an int (kopecks), never a float")
    existing = find(db, key)
    if existing is not None:
        return existing
    account = lock_account(db, contract_id)
    # A concurrent poster of the same key committed while we waited for the lock: READ COMMITTED sees it now.
    existing = find(db, key)
    if existing is not None:
        return existing
    when = at or utcnow()
    new_balance = account.balance_kopecks + amount_kopecks
    entry = LedgerEntry(
        contract_id=contract_id,
        at=when,
        kind=kind,
        amount_kopecks=amount_kopecks,
        balance_after_kopecks=new_balance,
        description=description[:500],
        actor=actor[:64],
        idempotency_key=key,
        ref=ref[:200],
        service_date=service_date,
    )
    try:
        with db.begin_nested():
            db.add(entry)
            db.flush()
    except IntegrityError:
        # Only reachable without the row lock (SQLite readers racing): the other writer's entry stands.
        existing = find(db, key)
        if existing is None:
            raise
        return existing
    account.balance_kopecks = new_balance
    track_negative(account, when)
    db.flush()
    return entry


def track_negative(account: ContractBilling, when: datetime) -> None:
    """Remember when the balance went below zero (the grace period counts from then); clear it at >= 0."""
    if account.balance_kopecks < 0:
        if account.negative_since is None:
            account.negative_since = when
    else:
        account.negative_since = None


def balance(db: Session, contract_id: int) -> int:
    """The contract's balance in kopecks, derived from its entries (0 for a contract with none)."""
    total = db.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_kopecks), 0)).where(LedgerEntry.contract_id == contract_id)
    )
    return int(total or 0)


def cached_balance(db: Session, contract_id: int) -> int:
    """The balance cached on the billing row (kept equal to ``balance``; tests prove it)."""
    account = db.get(ContractBilling, contract_id)
    return account.balance_kopecks if account is not None else 0
