"""Daily accrual: each contract pays, for each local day, that day's share of its tariff's monthly price.

Exactly once per contract-day, however many workers run it and after any downtime:
- a contract's ``accrued_through`` (its last charged local day) only moves by one day per claim, and a claim
  takes rows with ``accrued_through = day - 1`` only, so no day is skipped and none is charged twice;
- claims lock the billing rows ``FOR UPDATE SKIP LOCKED`` (PostgreSQL), so concurrent workers take disjoint
  batches; a row held by someone else (a worker, a payment) is left for the next pass;
- the entry's idempotency key ``accrual:{contract}:{YYYY-MM-DD}`` is unique, the last line of defence.
On PostgreSQL one statement claims a batch, inserts its entries and updates the balances (set-based: the
benchmark in tests/bench/bench_billing_accrual.py); SQLite (the embedded default) does the same per row.
"""

import calendar
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from portal.billing import ledger
from portal.db import Database
from portal.models import Contract, ContractBilling, Tariff

BATCH = 50000  # the claim holds these rows' locks for the statement (a payment waits that long)
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
    holds a row carries it to today. A row someone else holds (another worker, who carries it on; a payment) is
    skipped: the next run takes it. A partial batch ends the day (no unlocked due row was left)."""
    posted = 0
    for tz, start in _first_due(database).items():
        today = local_day(now, tz)
        day = start + timedelta(days=1)
        while day <= today:
            while True:
                with database.session() as db:
                    claimed, entries = accrue_batch(db, tz, day, now, batch)
                posted += entries
                if claimed < batch:
                    break
            day += timedelta(days=1)
    return posted


def _first_due(database: Database) -> dict[str, date]:
    """zone -> the earliest charged-through day of its active contracts with a tariff (one grouped query)."""
    with database.session() as db:
        rows = db.execute(
            select(ContractBilling.tz, func.min(ContractBilling.accrued_through))
            .join(Contract, Contract.id == ContractBilling.contract_id)
            .where(
                Contract.status == "active",
                ContractBilling.accrued_through.is_not(None),
                (ContractBilling.tariff_id.is_not(None)) | (ContractBilling.pending_tariff_id.is_not(None)),
            )
            .group_by(ContractBilling.tz)
        )
        return {tz: first for tz, first in rows if first is not None}


def accrue_batch(db: Session, tz: str, day: date, now: datetime, batch: int = BATCH) -> tuple[int, int]:
    """Charge ``day`` to up to ``batch`` contracts of zone ``tz`` that are charged through the day before.
    Returns (contracts claimed, entries inserted)."""
    if db.get_bind().dialect.name == "postgresql":
        return _accrue_batch_sql(db, tz, day, now, batch)
    return _accrue_batch_rows(db, tz, day, now, batch)


# One statement per batch: claim (locked, skipping others' locks) -> price (pending tariff, discount, the day's
# share) -> insert the entries (ON CONFLICT DO NOTHING: the key is the last guard) -> move the accounts on
# (balance from the inserted entry, day, tariff switch), all set-based. Profile on 100,000 contracts
# (EXPLAIN ANALYZE, docs/billing.md): the insert and its three indexes are as in the bare insert; the extra is
# the row locks, the account update and the join of the two; the ledger's foreign key check, once a third of
# the time, is gone (migration 0019_gaps).
_ACCRUE_SQL = text(
    """
WITH claimed AS (
    SELECT cb.contract_id, cb.balance_kopecks,
           CASE WHEN cb.pending_tariff_id IS NOT NULL AND cb.pending_from <= :day
                THEN cb.pending_tariff_id ELSE cb.tariff_id END AS tariff_id,
           cb.discount_percent, cb.discount_tariff_id, cb.discount_until
    FROM contract_billing cb
    WHERE cb.tz = :tz AND cb.accrued_through = :prev
      AND (cb.tariff_id IS NOT NULL OR cb.pending_tariff_id IS NOT NULL)
      AND EXISTS (SELECT 1 FROM contracts c WHERE c.id = cb.contract_id AND c.status = 'active')
    LIMIT :batch
    FOR UPDATE OF cb SKIP LOCKED
), charges AS (
    SELECT cl.contract_id, cl.balance_kopecks, cl.tariff_id, t.name,
           m.monthly / :ndays + CASE WHEN :dom <= m.monthly % :ndays THEN 1 ELSE 0 END AS share
    FROM claimed cl JOIN tariffs t ON t.id = cl.tariff_id
    CROSS JOIN LATERAL (SELECT CASE WHEN cl.discount_percent > 0 AND cl.discount_tariff_id = cl.tariff_id
                                         AND cl.discount_until >= :day
                               THEN t.monthly_price_kopecks * (100 - cl.discount_percent) / 100
                               ELSE t.monthly_price_kopecks END AS monthly) m
), ins AS (
    INSERT INTO ledger_entries
        (contract_id, at, kind, amount_kopecks, balance_after_kopecks, description, actor, idempotency_key, ref,
         service_date)
    SELECT contract_id, :at, 'accrual', -share, balance_kopecks - share,
           :desc_head || name || '»)', 'system', 'accrual:' || CAST(contract_id AS TEXT) || :key_tail, '', :day
    FROM charges WHERE share > 0
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING contract_id, balance_after_kopecks
), moved AS (
    UPDATE contract_billing cb SET
        accrued_through = :day,
        tariff_id = ch.tariff_id,
        pending_tariff_id = CASE WHEN cb.pending_from <= :day THEN NULL ELSE cb.pending_tariff_id END,
        pending_from = CASE WHEN cb.pending_from <= :day THEN NULL ELSE cb.pending_from END,
        balance_kopecks = COALESCE(ins.balance_after_kopecks, cb.balance_kopecks),
        negative_since = CASE WHEN COALESCE(ins.balance_after_kopecks, cb.balance_kopecks) >= 0 THEN NULL
                              ELSE COALESCE(cb.negative_since, :at) END
    FROM charges ch LEFT JOIN ins ON ins.contract_id = ch.contract_id
    WHERE cb.contract_id = ch.contract_id
    RETURNING cb.contract_id, ins.contract_id AS charged
)
SELECT count(*), count(charged) FROM moved
"""
)


def _accrue_batch_sql(db: Session, tz: str, day: date, now: datetime, batch: int) -> tuple[int, int]:
    params = {
        "tz": tz,
        "day": day,
        "prev": day - timedelta(days=1),
        "batch": batch,
        "ndays": calendar.monthrange(day.year, day.month)[1],
        "dom": day.day,
        "at": now,
        "desc_head": f"Абонентская плата за {day:%d.%m.%Y} («",
        "key_tail": f":{day.isoformat()}",
    }
    # psycopg prepares repeated statements; a generic plan for this one (LIMIT, dates unknown) can be
    # catastrophically slow, so each batch is planned with its own values.
    db.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    # Statistics lag the daily move of accrued_through; estimating one claimed row, the planner would join the
    # batch's CTEs by nested loop (quadratic: 20,000 x 20,000). Hash joins are right at every batch size.
    db.execute(text("SET LOCAL enable_nestloop = off"))
    # The batch's CTEs (claimed rows, inserted keys) are joined in memory: at the default 4 MB they spill to
    # disk in sorts and multi-batch hashes.
    db.execute(text("SET LOCAL work_mem = '64MB'"))
    claimed, charged = db.execute(_ACCRUE_SQL, params).one()
    return int(claimed), int(charged)


def _accrue_batch_rows(db: Session, tz: str, day: date, now: datetime, batch: int) -> tuple[int, int]:
    """SQLite: the same rules row by row (one writer at a time, so no SKIP LOCKED is needed)."""
    rows = db.scalars(
        select(ContractBilling)
        .join(Contract, Contract.id == ContractBilling.contract_id)
        .where(
            ContractBilling.tz == tz,
            ContractBilling.accrued_through == day - timedelta(days=1),
            Contract.status == "active",
            (ContractBilling.tariff_id.is_not(None)) | (ContractBilling.pending_tariff_id.is_not(None)),
        )
        .order_by(ContractBilling.contract_id)
        .limit(batch)
    ).unique()
    claimed = charged = 0
    for account in list(rows):
        claimed += 1
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
    return claimed, charged


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
