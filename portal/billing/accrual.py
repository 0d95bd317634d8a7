"""Daily accrual: each contract pays, for each local day, that day's share of its tariff's monthly price.

Exactly once per contract-day, however many workers run it and after any downtime:
- a contract's ``accrued_through`` (its last charged local day) only moves by one day per claim, and a claim
  takes rows with ``accrued_through = day - 1`` only, so no day is skipped and none is charged twice;
- on PostgreSQL work is cut into ranges of contract ids; a worker takes a range for a day under a transaction
  advisory lock (``pg_try_advisory_xact_lock``: a range someone else is on is skipped, that worker carries it
  on), and its UPDATE re-checks ``accrued_through = day - 1`` on the row it changes (READ COMMITTED re-reads a
  row another transaction changed meanwhile), so even two statements on one range cannot charge a day twice;
- the entry's idempotency key ``accrual:{contract}:{YYYY-MM-DD}`` is unique, the last line of defence.
On PostgreSQL one statement per range moves the accounts on and inserts their entries (set-based: the
benchmark in tests/bench/bench_billing_accrual.py); SQLite (the embedded default) does the same per row.
"""

import calendar
import zlib
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from portal.billing import ledger
from portal.db import Database
from portal.models import Contract, ContractBilling, Tariff

BATCH = 50000  # contract ids per range: a statement holds its rows' locks that long (a payment waits)
FALLBACK_ZONE = "Asia/Novokuznetsk"


def day_share(monthly_kopecks: int, day: date) -> int:
    """The day's part of a monthly price: the month's days sum to the price exactly (the first
    ``price % days`` days of the month carry one extra kopeck)."""
    days = calendar.monthrange(day.year, day.month)[1]
    base, remainder = divmod(monthly_kopecks, days)
    return base + (1 if day.day <= remainder else 0)


def discounted(monthly_kopecks: int, percent: int) -> int:
    """The monthly price after an offer's discount (rounded down to the kopeck)."""
    return monthly_kopecks * (100 - percent) // 100


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(FALLBACK_ZONE)


def local_day(now: datetime, tz: str) -> date:
    """The contract's calendar day at ``now`` (accrual days are dated in the billing account's zone)."""
    return now.astimezone(zone(tz)).date()


def accrual_key(contract_id: int, day: date) -> str:
    return f"accrual:{contract_id}:{day.isoformat()}"


def description(day: date, tariff_name: str) -> str:
    return f"Абонентская плата за {day:%d.%m.%Y} («{tariff_name}»)"


def run(database: Database, now: datetime, batch: int = BATCH) -> int:
    """Charge every due contract-day up to each zone's local today; returns the entries this worker posted.

    One pass, days in order: a row charged for day d is due again for d + 1 in the same pass, so the worker that
    holds a range carries it to today. A range someone else holds is skipped (they carry it on); a row a payment
    holds is waited for (a payment's lock is short)."""
    posted = 0
    for tz, (start, low, high) in _first_due(database).items():
        today = local_day(now, tz)
        day = start + timedelta(days=1)
        while day <= today:
            for first in range(low - low % batch, high + 1, batch):
                with database.session() as db:
                    posted += accrue_range(db, tz, day, now, first, first + batch)
            day += timedelta(days=1)
    return posted


def _first_due(database: Database) -> dict[str, tuple[date, int, int]]:
    """zone -> (the earliest charged-through day of its active contracts with a tariff, their lowest and highest
    contract id); one grouped query."""
    with database.session() as db:
        rows = db.execute(
            select(
                ContractBilling.tz,
                func.min(ContractBilling.accrued_through),
                func.min(ContractBilling.contract_id),
                func.max(ContractBilling.contract_id),
            )
            .join(Contract, Contract.id == ContractBilling.contract_id)
            .where(
                Contract.status == "active",
                ContractBilling.accrued_through.is_not(None),
                (ContractBilling.tariff_id.is_not(None)) | (ContractBilling.pending_tariff_id.is_not(None)),
            )
            .group_by(ContractBilling.tz)
        )
        return {tz: (first, low, high) for tz, first, low, high in rows if first is not None}


def accrue_range(db: Session, tz: str, day: date, now: datetime, first: int, end: int) -> int:
    """Charge ``day`` to the contracts of zone ``tz`` with ids in [first, end) charged through the day before;
    returns the entries inserted (0 for a range another worker holds)."""
    if db.get_bind().dialect.name != "postgresql":
        return _accrue_batch_rows(db, tz, day, now, first, end)
    if not db.scalar(text("SELECT pg_try_advisory_xact_lock(:key, :part)"), {"key": _lock_key(tz), "part": first}):
        return 0
    try:
        with db.begin_nested():
            return _accrue_range_sql(db, tz, day, now, first, end)
    except _Collision:
        # An entry for one of these contract-days exists although the account says it is not charged: the
        # savepoint undid the range; row by row, the existing entry stands and that balance is left alone.
        return _accrue_batch_rows(db, tz, day, now, first, end)


class _Collision(RuntimeError):
    pass


def _lock_key(tz: str) -> int:
    """A stable signed 32-bit advisory lock key per zone (the second key is the range)."""
    return int.from_bytes(zlib.crc32(f"accrual:{tz}".encode()).to_bytes(4, "big"), "big", signed=True)


# One statement per range: move the accounts on (re-checked day, pending tariff, discount, the day's share,
# balance, negative_since) -> insert their entries from the UPDATE's RETURNING (ON CONFLICT DO NOTHING: a
# conflict means the account and the ledger disagree; the caller then redoes the range row by row). Profiled on
# 100,000 contracts (EXPLAIN ANALYZE, docs/billing.md): the insert and its three indexes cost what the bare
# insert costs; the rest is the HOT update of the accounts. The ledger's foreign key check (a third of the
# time) is gone (migration 0019_gaps), and so are the separate row locks and a join of claimed and inserted rows.
# The day's share of the (discounted) monthly price, in the UPDATE's own terms: the old row ``cb`` and its
# tariff ``t`` (a LATERAL may not name the UPDATE's target, so the expression is spelled where it is used).
# Only constants and integer columns go in; the f-string builds the statement once, at import.
_MONTHLY = """(CASE WHEN cb.discount_percent > 0 AND cb.discount_tariff_id = t.id AND cb.discount_until >= :day
       THEN t.monthly_price_kopecks * (100 - cb.discount_percent) / 100 ELSE t.monthly_price_kopecks END)"""
_SHARE = f"({_MONTHLY} / :ndays + CASE WHEN :dom <= {_MONTHLY} % :ndays THEN 1 ELSE 0 END)"
_ACCRUE_SQL = text(
    f"""
WITH moved AS (
    UPDATE contract_billing cb SET
        accrued_through = :day,
        tariff_id = t.id,
        pending_tariff_id = CASE WHEN cb.pending_from <= :day THEN NULL ELSE cb.pending_tariff_id END,
        pending_from = CASE WHEN cb.pending_from <= :day THEN NULL ELSE cb.pending_from END,
        balance_kopecks = cb.balance_kopecks - {_SHARE},
        negative_since = CASE WHEN cb.balance_kopecks - {_SHARE} >= 0 THEN NULL
                              ELSE COALESCE(cb.negative_since, :at) END
    FROM tariffs t
    WHERE cb.tz = :tz AND cb.accrued_through = :prev
      AND cb.contract_id >= :first AND cb.contract_id < :end
      AND t.id = CASE WHEN cb.pending_tariff_id IS NOT NULL AND cb.pending_from <= :day
                      THEN cb.pending_tariff_id ELSE cb.tariff_id END
      AND EXISTS (SELECT 1 FROM contracts c WHERE c.id = cb.contract_id AND c.status = 'active')
    -- RETURNING sees the new row: its balance is the balance after; the discount columns did not change.
    RETURNING cb.contract_id, cb.balance_kopecks AS balance_after, t.name, {_SHARE} AS share
), ins AS (
    INSERT INTO ledger_entries
        (contract_id, at, kind, amount_kopecks, balance_after_kopecks, description, actor, idempotency_key, ref,
         service_date)
    SELECT contract_id, :at, 'accrual', -share, balance_after,
           :desc_head || name || '»)', 'system', 'accrual:' || CAST(contract_id AS TEXT) || :key_tail, '', :day
    FROM moved WHERE share > 0
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM moved WHERE share > 0), (SELECT count(*) FROM ins)
"""
)


def _accrue_range_sql(db: Session, tz: str, day: date, now: datetime, first: int, end: int) -> int:
    params = {
        "tz": tz,
        "day": day,
        "prev": day - timedelta(days=1),
        "first": first,
        "end": end,
        "ndays": calendar.monthrange(day.year, day.month)[1],
        "dom": day.day,
        "at": now,
        "desc_head": f"Абонентская плата за {day:%d.%m.%Y} («",
        "key_tail": f":{day.isoformat()}",
    }
    # psycopg prepares repeated statements; a generic plan for this one (dates, range unknown) can be
    # catastrophically slow, so each range is planned with its own values.
    db.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    # Statistics lag the daily move of accrued_through; estimating one row, the planner would take nested loops
    # over the range (quadratic at 50,000 rows). Hash joins are right at every size.
    db.execute(text("SET LOCAL enable_nestloop = off"))
    # The range's rows are hashed and counted in memory: at the default 4 MB they spill to disk.
    db.execute(text("SET LOCAL work_mem = '64MB'"))
    charged, inserted = db.execute(_ACCRUE_SQL, params).one()
    if charged != inserted:
        raise _Collision(f"{tz} {day}: {charged - inserted} of [{first}, {end}) already had an entry")
    return int(inserted)


def _accrue_batch_rows(db: Session, tz: str, day: date, now: datetime, first: int, end: int) -> int:
    """The same rules row by row: SQLite (one writer at a time), and PostgreSQL's fallback for a range whose
    ledger already holds an entry (``ledger.post`` locks each account and returns the existing entry)."""
    rows = db.scalars(
        select(ContractBilling)
        .join(Contract, Contract.id == ContractBilling.contract_id)
        .where(
            ContractBilling.tz == tz,
            ContractBilling.accrued_through == day - timedelta(days=1),
            ContractBilling.contract_id >= first,
            ContractBilling.contract_id < end,
            Contract.status == "active",
            (ContractBilling.tariff_id.is_not(None)) | (ContractBilling.pending_tariff_id.is_not(None)),
        )
        .order_by(ContractBilling.contract_id)
    ).unique()
    charged = 0
    for account in list(rows):
        if account.pending_tariff_id is not None and account.pending_from is not None and account.pending_from <= day:
            account.tariff_id, account.pending_tariff_id, account.pending_from = account.pending_tariff_id, None, None
            db.flush()
        tariff = db.get(Tariff, account.tariff_id)
        if tariff is None:
            raise LookupError(f"contract {account.contract_id}: no tariff {account.tariff_id}")
        monthly = tariff.monthly_price_kopecks
        if (
            account.discount_percent
            and account.discount_tariff_id == tariff.id
            and account.discount_until is not None
            and account.discount_until >= day
        ):
            monthly = discounted(monthly, account.discount_percent)
        share = day_share(monthly, day)
        if share > 0:
            before = ledger.find(db, accrual_key(account.contract_id, day))
            ledger.post(
                db,
                account.contract_id,
                "accrual",
                -share,
                key=accrual_key(account.contract_id, day),
                description=description(day, tariff.name),
                at=now,
                service_date=day,
            )
            charged += before is None
        account.accrued_through = day
    db.flush()
    return charged


def next_charge(db: Session, account: ContractBilling, now: datetime) -> tuple[date, int] | None:
    """The next day to be charged and its amount (a pending tariff switch and a discount taken into account)."""
    if account.tariff_id is None and account.pending_tariff_id is None:
        return None
    day = (account.accrued_through or local_day(now, account.tz) - timedelta(days=1)) + timedelta(days=1)
    tariff_id = account.tariff_id
    if account.pending_tariff_id is not None and account.pending_from is not None and account.pending_from <= day:
        tariff_id = account.pending_tariff_id
    tariff = db.get(Tariff, tariff_id)
    if tariff is None:
        raise LookupError(f"contract {account.contract_id}: no tariff {tariff_id}")
    monthly = tariff.monthly_price_kopecks
    if account.discount_percent and account.discount_tariff_id == tariff_id and (account.discount_until or day) >= day:
        monthly = discounted(monthly, account.discount_percent)
    return day, day_share(monthly, day)
