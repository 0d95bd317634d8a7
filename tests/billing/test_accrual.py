"""Daily accrual: kopeck-exact day shares, exactly once per contract-day with three concurrent workers on
PostgreSQL over 40 simulated days (a month boundary and a downtime gap included), and the SQLite path."""

import calendar
import threading
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from portal import migrate
from portal.billing import accrual, ledger, tariffs
from portal.db import Database
from portal.models import Contract, ContractBilling, LedgerEntry, Tariff

ZONES = ("Asia/Novokuznetsk", "Europe/Moscow")
PRICES = (29999, 15000, 31, 0)  # 299.99 ₽ (remainders every month), 150 ₽, 31 kopecks, free


@pytest.mark.parametrize("price", [0, 1, 29, 30, 31, 29999, 15000, 100_000_00, 7])
def test_day_shares_sum_to_the_monthly_price(price: int) -> None:
    for year in (2026, 2028):  # 2028 is a leap year
        for month in range(1, 13):
            days = calendar.monthrange(year, month)[1]
            shares = [accrual.day_share(price, date(year, month, d)) for d in range(1, days + 1)]
            assert sum(shares) == price
            assert max(shares) - min(shares) <= 1


def _world(db: Database, contracts: int, start: date) -> dict[int, tuple[str, int]]:
    """Contracts spread over zones and prices; returns contract id -> (zone, tariff id)."""
    out = {}
    with db.session() as s:
        ids = []
        for price in PRICES:
            t = Tariff(name=f"T{price}", monthly_price_kopecks=price, archive_days=7, description="")
            s.add(t)
            s.flush()
            ids.append(t.id)
        for n in range(contracts):
            tz = ZONES[n % len(ZONES)]
            c = Contract(number=f"c{n}", tz=tz)
            s.add(c)
            s.flush()
            tariff_id = ids[n % len(ids)]
            tariffs.assign(s, c.id, tariff_id, start)
            ledger.post(s, c.id, "payment", 1_000_00, key=f"seed:{c.id}", description="Оплата")
            out[c.id] = (tz, tariff_id)
    return out


def _check(db: Database, world: dict[int, tuple[str, int]], start: date, end_utc: datetime) -> None:
    with db.session() as s:
        prices = {t.id: t.monthly_price_kopecks for t in s.scalars(select(Tariff))}
        rows = s.execute(
            select(LedgerEntry.contract_id, LedgerEntry.service_date, LedgerEntry.amount_kopecks).where(
                LedgerEntry.kind == "accrual"
            )
        ).all()
        by_contract: dict[int, list[tuple[date, int]]] = defaultdict(list)
        for cid, day, amount in rows:
            by_contract[cid].append((day, amount))
        for cid, (tz, tariff_id) in world.items():
            today = end_utc.astimezone(ZoneInfo(tz)).date()
            expected_days = [start + timedelta(days=i) for i in range((today - start).days + 1)]
            charged = sorted(by_contract.get(cid, []))
            price = prices[tariff_id]
            if price == 0:
                assert charged == []
            else:
                assert [d for d, _ in charged] == expected_days, cid  # every day once: none missing, none twice
                assert all(a == -accrual.day_share(price, d) for d, a in charged)
                november = sum(-a for d, a in charged if d.month == 11)
                assert november == price  # a whole month sums to the monthly price, to the kopeck
            account = s.get(ContractBilling, cid)
            assert account.accrued_through == today
            assert ledger.balance(s, cid) == account.balance_kopecks == 1_000_00 + sum(a for _, a in charged)
        # balance_after chains exactly on every contract
        for cid in world:
            running = 0
            for amount, after in s.execute(
                select(LedgerEntry.amount_kopecks, LedgerEntry.balance_after_kopecks)
                .where(LedgerEntry.contract_id == cid)
                .order_by(LedgerEntry.id)
            ):
                running += amount
                assert after == running


@pytest.mark.slow
def test_three_workers_forty_days_exactly_once_postgres(pg_url: str) -> None:
    setup = Database(pg_url)
    migrate.upgrade(setup)
    start = date(2026, 10, 25)  # 40 days: Oct 25 .. Dec 3, all of November inside
    world = _world(setup, 240, start)
    workers = [Database(pg_url) for _ in range(3)]  # own engines: separate connections
    # Runs every 8 hours of simulated time, with a five-day downtime in the middle (catch-up on return).
    first = datetime.combine(start, time(1, 0), tzinfo=UTC)
    steps = [first + timedelta(hours=8 * i) for i in range(40 * 3)]
    steps = [t for t in steps if not (first + timedelta(days=12) <= t < first + timedelta(days=17))]
    posted = [0, 0, 0]
    errors: list[BaseException] = []
    for now in steps:
        barrier = threading.Barrier(3)

        def work(i: int, now: datetime = now, barrier: threading.Barrier = barrier) -> None:
            try:
                barrier.wait()
                posted[i] += accrual.run(workers[i], now, batch=37)  # small batches: many interleaved claims
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
    assert sum(1 for p in posted if p > 0) >= 2  # the work really was shared between workers
    with setup.session() as s:
        total = s.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == "accrual"))
    assert total == sum(posted)
    _check(setup, world, start, steps[-1])
    for db in (setup, *workers):
        db.dispose()


def test_accrual_sqlite_catches_up_and_switches_tariff(tmp_path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'p.sqlite3'}")
    migrate.upgrade(db)
    start = date(2026, 10, 25)
    world = _world(db, 8, start)
    end = datetime.combine(date(2026, 12, 3), time(12, 0), tzinfo=UTC)
    accrual.run(db, end)  # 40 days of downtime caught up at once
    accrual.run(db, end)  # and again: nothing more
    _check(db, world, start, end)
    # A switch from the next day: the day after is charged at the new price, the tariff changes then.
    with db.session() as s:
        cid = next(c for c, (_, t) in world.items() if s.get(Tariff, t).monthly_price_kopecks == 29999)
        cheap = s.scalar(select(Tariff.id).where(Tariff.monthly_price_kopecks == 15000))
        result = tariffs.request_switch(s, cid, cheap, end)
        assert result.effective == date(2026, 12, 4)
    accrual.run(db, end + timedelta(days=1))
    with db.session() as s:
        account = s.get(ContractBilling, cid)
        assert account.tariff_id == cheap and account.pending_tariff_id is None
        last = s.scalars(
            select(LedgerEntry).where(LedgerEntry.contract_id == cid).order_by(LedgerEntry.id.desc())
        ).first()
        assert last.service_date == date(2026, 12, 4)
        assert last.amount_kopecks == -accrual.day_share(15000, date(2026, 12, 4))
        assert "T15000" in last.description


def test_postgres_set_based_switch_discount_and_an_existing_entry(pg_url: str) -> None:
    """The set-based statement applies a pending switch and a discount like the row path; a contract-day whose
    entry already exists (account and ledger disagree) is not charged again: the range is redone row by row."""
    db = Database(pg_url)
    migrate.upgrade(db)
    start = date(2026, 11, 29)
    world = _world(db, 6, start)
    with db.session() as s:
        by_price = {t.monthly_price_kopecks: t.id for t in s.scalars(select(Tariff))}
        paying = [c for c, (_, t) in world.items() if t in (by_price[29999], by_price[15000])]
        switcher, discounted, collided = paying[:3]
        s.get(ContractBilling, switcher).pending_tariff_id = by_price[31]
        s.get(ContractBilling, switcher).pending_from = date(2026, 11, 30)
        account = s.get(ContractBilling, discounted)
        account.discount_percent, account.discount_until = 50, date(2026, 11, 30)
        account.discount_tariff_id = account.tariff_id
        # An accrual entry for Nov 30 posted while the account still says "charged through Nov 29".
        ledger.post(
            s, collided, "accrual", -1, key=accrual.accrual_key(collided, date(2026, 11, 30)), description="x",
            service_date=date(2026, 11, 30),
        )  # fmt: skip
    now = datetime.combine(date(2026, 12, 1), time(12, 0), tzinfo=UTC)
    accrual.run(db, now)
    accrual.run(db, now)
    with db.session() as s:
        prices = {t.id: t.monthly_price_kopecks for t in s.scalars(select(Tariff))}

        def charges(cid: int) -> dict[date, int]:
            rows = s.execute(
                select(LedgerEntry.service_date, LedgerEntry.amount_kopecks).where(
                    LedgerEntry.contract_id == cid, LedgerEntry.kind == "accrual"
                )
            )
            return {d: -a for d, a in rows if d is not None}

        switched = s.get(ContractBilling, switcher)
        assert switched.tariff_id == by_price[31] and switched.pending_tariff_id is None
        assert charges(switcher)[date(2026, 11, 30)] == accrual.day_share(31, date(2026, 11, 30))
        base = prices[world[discounted][1]]
        assert charges(discounted)[date(2026, 11, 30)] == accrual.day_share(base // 2, date(2026, 11, 30))
        assert charges(discounted)[date(2026, 12, 1)] == accrual.day_share(base, date(2026, 12, 1))  # discount over
        entries = s.scalars(
            select(LedgerEntry).where(
                LedgerEntry.contract_id == collided, LedgerEntry.service_date == date(2026, 11, 30)
            )
        ).all()
        assert len(entries) == 1  # the existing entry stands; no second charge for that day
        for cid in world:  # the cache equals the ledger everywhere, everyone charged through Dec 1
            account = s.get(ContractBilling, cid)
            assert ledger.balance(s, cid) == account.balance_kopecks
            assert account.accrued_through == date(2026, 12, 1)
    db.dispose()
