"""The ledger core: kopeck parsing, idempotent posts, balance_after, cached balance == sum of entries."""

import threading

import pytest

from portal import migrate
from portal.billing import ledger
from portal.billing.money import format_roubles, parse_roubles
from portal.cabinet.errors import FieldError
from portal.db import Database
from portal.models import Contract, LedgerEntry


@pytest.mark.parametrize(
    ("text", "kopecks"),
    [("150", 15000), ("150.5", 15050), ("150,50", 15050), (" 0.01 ", 1), ("100000", 10_000_000), ("1 000.10", 100010)],
)
def test_parse_roubles_accepts(text: str, kopecks: int) -> None:
    assert parse_roubles(text) == kopecks


@pytest.mark.parametrize("text", ["", "abc", "0", "0.00", "-5", "1.234", "100000.01", "1e3", "nan", "1.2.3", "--1"])
def test_parse_roubles_refuses_naming_the_field(text: str) -> None:
    with pytest.raises(FieldError) as err:
        parse_roubles(text, field="amount")
    assert err.value.field == "amount"


def test_parse_signed_and_format() -> None:
    assert parse_roubles("-12.3", signed=True) == -1230
    assert format_roubles(15000) == "150.00"
    assert format_roubles(-1230) == "-12.30"
    assert format_roubles(5) == "0.05"
    assert format_roubles(-5) == "-0.05"


def _db(url: str) -> Database:
    db = Database(url)
    migrate.upgrade(db)
    return db


def _contract(db: Database, number: str = "100") -> int:
    with db.session() as s:
        c = Contract(number=number, tz="Asia/Novokuznetsk")
        s.add(c)
        s.flush()
        return c.id


def _check_chain(db: Database, contract_id: int) -> None:
    with db.session() as s:
        entries = s.query(LedgerEntry).filter_by(contract_id=contract_id).order_by(LedgerEntry.id).all()
        running = 0
        for e in entries:
            running += e.amount_kopecks
            assert e.balance_after_kopecks == running
        assert ledger.balance(s, contract_id) == running == ledger.cached_balance(s, contract_id)


def test_post_is_idempotent_sqlite(tmp_path) -> None:
    db = _db(f"sqlite:///{tmp_path / 'p.sqlite3'}")
    cid = _contract(db)
    with db.session() as s:
        a = ledger.post(s, cid, "payment", 15000, key="pay:1", description="Оплата")
        b = ledger.post(s, cid, "payment", 15000, key="pay:1", description="Оплата")
        assert a.id == b.id
        ledger.post(s, cid, "accrual", -333, key="accrual:x", description="Абонентская плата")
    with db.session() as s:
        assert s.query(LedgerEntry).count() == 2
        assert ledger.balance(s, cid) == 14667
    with pytest.raises(TypeError), db.session() as s:
        ledger.post(s, cid, "payment", 1.5, key="pay:float", description="x")  # type: ignore[arg-type]
    _check_chain(db, cid)


def test_concurrent_posts_postgres(pg_url: str) -> None:
    """Eight threads, own connections, the same keys at once: one row per key, balance_after chained exactly."""
    db = _db(pg_url)
    cid = _contract(db)
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            barrier.wait()
            for i in range(25):
                with db.session() as s:
                    ledger.post(s, cid, "payment", 100 + i, key=f"pay:{i}", description="Оплата")
                with db.session() as s:
                    ledger.post(s, cid, "adjustment", -(n + 1), key=f"adj:{n}:{i}", description="x", actor="op")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with db.session() as s:
        assert s.query(LedgerEntry).filter_by(kind="payment").count() == 25
        assert s.query(LedgerEntry).filter_by(kind="adjustment").count() == 200
        expected = sum(100 + i for i in range(25)) - sum((n + 1) * 25 for n in range(8))
        assert ledger.balance(s, cid) == expected
    _check_chain(db, cid)
    db.dispose()
