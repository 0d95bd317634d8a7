"""The billing JSON API, cabinet and operator pages: shapes, bad input naming the field with nothing changed,
tariff switch, promised payment (once a month, reversed at expiry), offers (applied once), adjustments."""

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from portal.auth.passwords import hash_password
from portal.auth.sessions import open_session
from portal.billing import accrual, ledger, promised
from portal.billing.accrual import day_share, local_day
from portal.models import ContractBilling, LedgerEntry, Operator, Tariff
from tests.billing.conftest import Neighbours

SEED = "csrf-seed-for-tests"


def _csrf(n: Neighbours) -> str:
    n.client.cookies.set("dozor_csrf", SEED)
    secret = n.w.services.settings.secret_key.encode()
    return hmac.new(secret, SEED.encode(), hashlib.sha256).hexdigest()


def _operator(n: Neighbours) -> dict[str, str]:
    with n.db.session() as db:
        op = Operator(login="kassir", password_hash=hash_password("x-operator-1"))
        db.add(op)
        db.flush()
        token, _ = open_session(db, operator=op, lifetime=timedelta(hours=1))
    return {"Authorization": f"Bearer {token}"}


def _entries(n: Neighbours, contract_id: int) -> int:
    with n.db.session() as db:
        return db.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.contract_id == contract_id))


def test_account_and_tariffs_shapes(neighbours: Neighbours) -> None:
    n = neighbours
    carol = n.w.auth(n.carol)
    account = n.client.get("/api/v1/billing/account", headers=carol).json()
    assert account["balance"] == "1000.00" and account["currency"] == "RUB" and account["status"] == "active"
    assert account["tariff"] == {
        "id": n.t30, "name": "Максимум", "monthly_price": "450.00", "archive_days": 30, "description": ""
    }  # fmt: skip
    day = datetime.fromisoformat(account["next_charge"]["date"]).date()
    assert account["next_charge"]["amount"] == f"{day_share(45000, day) / 100:.2f}"
    assert account["autopay"] == {"enabled": False}
    names = [t["name"] for t in n.client.get("/api/v1/billing/tariffs", headers=carol).json()]
    assert names == ["Эконом", "Максимум"]
    assert n.client.get("/api/v1/billing/account").status_code == 401
    spec = n.client.get("/openapi.json").json()
    assert "/api/v1/billing/account" in spec["paths"] and "AccountOut" in spec["components"]["schemas"]


def test_switch_bad_input_changes_nothing_then_a_switch(neighbours: Neighbours) -> None:
    n = neighbours
    carol = n.w.auth(n.carol)
    with n.db.session() as db:
        retired = Tariff(name="Старый", monthly_price_kopecks=100, archive_days=14, active=False)
        db.add(retired)
        db.flush()
        retired_id = retired.id
    for bad in (99999, "abc", retired_id, ""):
        answer = n.client.post("/api/v1/billing/tariff", json={"tariff_id": bad}, headers=carol)
        assert answer.status_code == 422, answer.text
        assert answer.json()["detail"].startswith("tariff_id"), answer.json()
    with n.db.session() as db:
        account = db.get(ContractBilling, n.carol_id)
        assert (account.tariff_id, account.pending_tariff_id) == (n.t30, None)
    answer = n.client.post("/api/v1/billing/tariff", json={"tariff_id": n.t7}, headers=carol).json()
    tomorrow = local_day(datetime.now(UTC), "Asia/Novokuznetsk") + timedelta(days=1)
    assert answer["effective_from"] == tomorrow.isoformat()
    assert "7 дн." in answer["warning"] and "недоступны" in answer["warning"]
    account = n.client.get("/api/v1/billing/account", headers=carol).json()
    assert account["tariff"]["id"] == n.t30 and account["pending_tariff"]["id"] == n.t7


def test_entries_period_filter_and_bad_period(neighbours: Neighbours) -> None:
    n = neighbours
    carol = n.w.auth(n.carol)
    accrual.run(n.db, datetime.now(UTC))
    rows = n.client.get("/api/v1/billing/entries", headers=carol).json()
    assert [r["kind"] for r in rows][-1] == "payment" and rows[0]["kind"] == "accrual"
    assert set(rows[0]) == {"at", "kind", "amount", "balance_after", "description"}
    assert rows[0]["amount"].startswith("-")
    future = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    assert n.client.get("/api/v1/billing/entries", params={"from": future}, headers=carol).json() == []
    bad = n.client.get("/api/v1/billing/entries", params={"from": "вчера"}, headers=carol)
    assert bad.status_code == 422 and bad.json()["detail"].startswith("from")
    reversed_period = n.client.get(
        "/api/v1/billing/entries", params={"from": "2026-02-01", "to": "2026-01-01"}, headers=carol
    )
    assert reversed_period.status_code == 422 and reversed_period.json()["detail"].startswith("to")


def test_promised_payment_once_a_month_and_reversed(neighbours: Neighbours) -> None:
    n = neighbours
    carol = n.w.auth(n.carol)
    refused = n.client.post("/api/v1/billing/promised", headers=carol)
    assert refused.status_code == 422 and refused.json()["detail"].startswith("promised")  # enough money
    with n.db.session() as db:
        ledger.post(db, n.carol_id, "adjustment", -120000, key="debt", description="Долг", actor="op")
    granted = n.client.post("/api/v1/billing/promised", headers=carol)
    assert granted.status_code == 200, granted.text
    amount = int(granted.json()["amount"].replace(".", ""))
    assert amount > 20000  # the 200 ₽ debt plus five days of charges
    assert granted.json()["balance"] != "-200.00" and not granted.json()["balance"].startswith("-")
    again = n.client.post("/api/v1/billing/promised", headers=carol)
    assert again.status_code == 422 and "раз в месяц" in again.json()["detail"]
    later = datetime.now(UTC) + timedelta(days=6)
    with n.db.session() as db:
        assert promised.expire_due(db, later) == 1
    with n.db.session() as db:
        assert promised.expire_due(db, later) == 0
        assert ledger.balance(db, n.carol_id) == -20000 == ledger.cached_balance(db, n.carol_id)
        kinds = [e.kind for e in db.scalars(select(LedgerEntry).where(LedgerEntry.contract_id == n.carol_id))]
        assert kinds.count("promised") == 1 and kinds.count("promised_expiry") == 1


def test_operator_console_tariffs_adjustments_offers(neighbours: Neighbours) -> None:
    n = neighbours
    op = _operator(n)
    token = _csrf(n)
    # tariffs: bad price -> the field is named, nothing created
    before = len(n.client.get("/operator/billing/tariffs", headers=op).text)
    bad = n.client.post(
        "/operator/billing/tariffs",
        data={"csrf": token, "name": "Новый", "monthly_price": "1.234", "archive_days": "14"},
        headers=op,
    )
    assert bad.status_code == 400 and "Цена в месяц" in bad.text
    bad_days = n.client.post(
        "/operator/billing/tariffs",
        data={"csrf": token, "name": "Новый", "monthly_price": "100", "archive_days": "10"},
        headers=op,
    )
    assert bad_days.status_code == 400 and "Глубина архива" in bad_days.text
    with n.db.session() as db:
        assert db.scalar(select(func.count()).select_from(Tariff)) == 2
    ok = n.client.post(
        "/operator/billing/tariffs",
        data={"csrf": token, "name": "Средний", "monthly_price": "250.50", "archive_days": "14", "switchable": "on"},
        headers=op,
    )
    assert ok.status_code == 200 and "Средний" in ok.text and len(ok.text) > before
    with n.db.session() as db:
        mid = db.scalar(select(Tariff).where(Tariff.name == "Средний"))
        assert mid.monthly_price_kopecks == 25050 and mid.archive_days == 14
        mid_id = mid.id
    assert (
        n.client.post(f"/operator/billing/tariffs/{mid_id}/retire", data={"csrf": token}, headers=op).status_code == 200
    )
    retired = n.client.post("/api/v1/billing/tariff", json={"tariff_id": mid_id}, headers=n.w.auth(n.carol))
    assert retired.status_code == 422 and "закрыт" in retired.json()["detail"]
    # adjustment: bad amount and missing reason refused; a good one recorded with who and why, once per form
    page = n.client.get(f"/operator/billing/contracts/{n.carol_id}", headers=op)
    assert page.status_code == 200 and "1\u00a0000,00" in page.text
    count = _entries(n, n.carol_id)
    for amount, reason, field in (("abc", "ошибка", "Сумма"), ("0", "ошибка", "Сумма"), ("10", "", "Причина")):
        refused = n.client.post(
            f"/operator/billing/contracts/{n.carol_id}/adjust",
            data={"csrf": token, "amount": amount, "reason": reason, "nonce": "n1"},
            headers=op,
        )
        assert refused.status_code == 400 and field in refused.text
    assert _entries(n, n.carol_id) == count
    for _ in range(2):  # a resubmitted form does not post twice
        done = n.client.post(
            f"/operator/billing/contracts/{n.carol_id}/adjust",
            data={"csrf": token, "amount": "-1250.00", "reason": "перерасчёт за ноябрь", "nonce": "n2"},
            headers=op,
        )
        assert done.status_code == 200
    assert _entries(n, n.carol_id) == count + 1
    with n.db.session() as db:
        entry = db.scalars(select(LedgerEntry).order_by(LedgerEntry.id.desc())).first()
        assert (entry.kind, entry.amount_kopecks, entry.actor) == ("adjustment", -125000, "kassir")
        assert "перерасчёт за ноябрь" in entry.description
    debtors = n.client.get("/operator/billing/debtors", headers=op)
    assert "100003" in debtors.text and "100001" not in debtors.text
    # offers: a bonus for Carol, a discount for Alice's whole entrance
    bonus = n.client.post(
        "/operator/billing/offers",
        data={"csrf": token, "title": "Спасибо", "kind": "bonus", "bonus": "300", "contracts": "100003"},
        headers=op,
    )
    assert bonus.status_code == 200, bonus.text
    nobody = n.client.post(
        "/operator/billing/offers",
        data={"csrf": token, "title": "Никому", "kind": "bonus", "bonus": "300", "contracts": "нет-такого"},
        headers=op,
    )
    assert nobody.status_code == 400 and "Договоры" in nobody.text
    with n.db.session() as db:
        from portal.models import Contract

        address_id = db.get(Contract, n.alice_id).address_id
    discount = n.client.post(
        "/operator/billing/offers",
        data={
            "csrf": token, "title": "Скидка подъезду", "kind": "discount", "tariff_id": str(n.t7),
            "discount_percent": "50", "months": "2", "address_ids": str(address_id),
        },
        headers=op,
    )  # fmt: skip
    assert discount.status_code == 200, discount.text
    carol, alice = n.w.auth(n.carol), n.w.auth(n.w.alice)
    carol_offers = n.client.get("/api/v1/billing/offers", headers=carol).json()
    assert {o["title"] for o in carol_offers} == {"Спасибо", "Скидка подъезду"}  # Carol lives there too
    bonus_id = next(o["id"] for o in carol_offers if o["title"] == "Спасибо")
    assert [o["title"] for o in n.client.get("/api/v1/billing/offers", headers=alice).json()] == ["Скидка подъезду"]
    balance = n.client.get("/api/v1/billing/account", headers=carol).json()["balance"]
    assert n.client.post(f"/api/v1/billing/offers/{bonus_id}/accept", headers=carol).status_code == 200
    twice = n.client.post(f"/api/v1/billing/offers/{bonus_id}/accept", headers=carol)
    assert twice.status_code == 422 and twice.json()["detail"].startswith("offer_id")
    assert n.client.post(f"/api/v1/billing/offers/{bonus_id}/accept", headers=alice).status_code == 422
    after = n.client.get("/api/v1/billing/account", headers=carol).json()["balance"]
    assert float(after) - float(balance) == 300.0
    discount_id = next(o["id"] for o in carol_offers if o["title"] == "Скидка подъезду")
    assert n.client.post(f"/api/v1/billing/offers/{discount_id}/accept", headers=alice).status_code == 200
    account = n.client.get("/api/v1/billing/account", headers=alice).json()
    day = datetime.fromisoformat(account["next_charge"]["date"]).date()
    assert account["next_charge"]["amount"] == f"{day_share(7500, day) / 100:.2f}"  # 150 ₽ at 50 %


def test_cabinet_pages_and_csv(neighbours: Neighbours) -> None:
    n = neighbours
    carol = n.w.auth(n.carol)
    accrual.run(n.db, datetime.now(UTC))
    page = n.client.get("/billing", headers=carol)
    assert page.status_code == 200
    for text in ("Баланс", "Максимум", "Пополнить", "/billing/topup", "/billing/autopay", "Следующее списание"):
        assert text in page.text
    assert "Сменить тариф" in page.text and 'href="/billing"' in page.text  # nav entry
    tariffs = n.client.get("/billing/tariffs", headers=carol)
    assert "Эконом" in tariffs.text and "станет недоступен" in tariffs.text
    token = _csrf(n)
    bad = n.client.post("/billing/tariff", data={"csrf": token, "tariff_id": "999"}, headers=carol)
    assert bad.status_code == 400 and "Тариф" in bad.text
    ok = n.client.post("/billing/tariff", data={"csrf": token, "tariff_id": str(n.t7)}, headers=carol)
    assert ok.status_code == 200 and "начнёт действовать" in ok.text and "недоступны" in ok.text
    history = n.client.get("/billing/history", headers=carol)
    assert "Абонентская плата" in history.text and "Оплата" in history.text
    bad_period = n.client.get("/billing/history", params={"from": "31-12-2026"}, headers=carol)
    assert bad_period.status_code == 400 and "Начало периода" in bad_period.text
    csv_text = n.client.get("/billing/history.csv", headers=carol)
    assert csv_text.headers["content-type"].startswith("text/csv")
    lines = csv_text.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Дата и время;Операция") and any(";1000.00;" in line for line in lines)
