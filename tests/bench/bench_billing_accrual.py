"""Benchmark: one day's accrual for 100,000 contracts on PostgreSQL, against a bare ``INSERT … SELECT`` of the
same rows (same day shares, same columns, into a copy of the ledger table with the same indexes) in the same run.

The accrual does more than the bare insert: it takes ranges of accounts under advisory locks, applies pending
tariffs and discounts, guards every entry with its unique idempotency key and moves each account's balance and
charged-through day (one UPDATE ... RETURNING -> INSERT ... ON CONFLICT statement per range, docs/billing.md).
Target: at most 3x the bare insert. Rounds alternate (bare, accrual) on successive days; medians; one JSON document.
Run: .venv/bin/python -m pytest -q -s -p no:cacheprovider -o python_files='bench_*.py' \
         tests/bench/bench_billing_accrual.py
"""

import json
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime

import pytest
from sqlalchemy import text

from portal import migrate
from portal.billing import accrual
from portal.db import Database

CONTRACTS = 100_000
TARGET_RATIO = 3.0  # the figure: accrual at most 3x a bare INSERT ... SELECT of the same rows
ROUNDS = 3
ZONE = "Asia/Novokuznetsk"
FIRST_DAY = date(2026, 11, 27)
pytestmark = pytest.mark.timeout(
    1800
)  # 100,000 contracts x 3 rounds on a shared, busy machine  # rounds cross into December: both month lengths exercised

_SETUP = [
    "INSERT INTO tariffs (id, name, monthly_price_kopecks, archive_days, description, switchable, active, created_at)"
    " VALUES (1, 'Стандарт', 29999, 14, '', true, true, now())",
    "INSERT INTO contracts (id, number, password_hash, status, name, tz, flat, created_at)"
    " SELECT g, 'b' || g, '', 'active', '', :zone, '', now() FROM generate_series(1, :n) g",
    "INSERT INTO contract_billing (contract_id, tariff_id, tz, balance_kopecks, accrued_through, discount_percent,"
    " created_at) SELECT g, 1, :zone, 100000, :prev, 0, now() FROM generate_series(1, :n) g",
    "CREATE TABLE bare_entries (LIKE ledger_entries INCLUDING ALL)",
    "ANALYZE",
]

# The same rows accrual writes, computed the same way, with no claim, no conflict guard and no account update.
_BARE = text(
    """
INSERT INTO bare_entries (id, contract_id, at, kind, amount_kopecks, balance_after_kopecks, description, actor,
                          idempotency_key, ref, service_date)
SELECT nextval('ledger_entries_id_seq'), cb.contract_id, :at, 'accrual', -s.share, cb.balance_kopecks - s.share,
       :desc_head || t.name || '»)', 'system', 'accrual:' || CAST(cb.contract_id AS TEXT) || :key_tail, '', :day
FROM contract_billing cb JOIN tariffs t ON t.id = cb.tariff_id
CROSS JOIN LATERAL (SELECT t.monthly_price_kopecks / :ndays
                           + CASE WHEN :dom <= t.monthly_price_kopecks % :ndays THEN 1 ELSE 0 END AS share) s
"""
)


def _bare(db: Database, day: date, now: datetime) -> float:
    import calendar

    params = {
        "at": now,
        "day": day,
        "ndays": calendar.monthrange(day.year, day.month)[1],
        "dom": day.day,
        "desc_head": f"Абонентская плата за {day:%d.%m.%Y} («",
        "key_tail": f":{day.isoformat()}",
    }
    start = time.perf_counter()
    with db.engine.begin() as conn:
        inserted = conn.execute(_BARE, params).rowcount
    elapsed = time.perf_counter() - start
    assert inserted == CONTRACTS
    return elapsed


def _accrual(db: Database, day: date) -> float:
    now = datetime.combine(day, dtime(9, 0), tzinfo=accrual.zone(ZONE)).astimezone(UTC)
    start = time.perf_counter()
    posted = accrual.run(db, now)
    elapsed = time.perf_counter() - start
    assert posted == CONTRACTS
    return elapsed


def test_bench_billing_accrual(pg_url: str) -> None:
    db = Database(pg_url)
    migrate.upgrade(db)
    with db.engine.begin() as conn:
        for statement in _SETUP:
            conn.execute(text(statement), {"zone": ZONE, "n": CONTRACTS, "prev": FIRST_DAY - timedelta(days=1)})
    bare, accrued = [], []
    for round_no in range(ROUNDS):
        day = FIRST_DAY + timedelta(days=round_no)
        bare.append(_bare(db, day, datetime.now(UTC)))
        accrued.append(_accrual(db, day))
    with db.engine.connect() as conn:
        entries = conn.execute(text("SELECT count(*), count(DISTINCT idempotency_key) FROM ledger_entries")).one()
        cached = conn.execute(text("SELECT sum(balance_kopecks) FROM contract_billing")).scalar()
        derived = conn.execute(
            text("SELECT CAST(100000 AS BIGINT) * :n + sum(amount_kopecks) FROM ledger_entries"), {"n": CONTRACTS}
        )
        derived = derived.scalar()
    assert entries == (CONTRACTS * ROUNDS, CONTRACTS * ROUNDS)
    assert cached == derived  # the balance cache equals the ledger's sum after 300,000 set-based posts
    ratio = statistics.median(accrued) / statistics.median(bare)
    print(
        json.dumps(
            {
                "benchmark": "billing_accrual_one_day",
                "contracts": CONTRACTS,
                "rounds": ROUNDS,
                "range_of_contract_ids": accrual.BATCH,
                "bare_insert_select_s": [round(t, 3) for t in bare],
                "accrual_s": [round(t, 3) for t in accrued],
                "bare_insert_select_median_s": round(statistics.median(bare), 3),
                "accrual_median_s": round(statistics.median(accrued), 3),
                "accrual_vs_bare_insert_ratio": round(ratio, 2),
                "target_ratio": TARGET_RATIO,
                "meets_target": ratio <= TARGET_RATIO,
            },
            indent=2,
        )
    )
    db.dispose()
