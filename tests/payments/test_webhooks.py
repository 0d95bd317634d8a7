"""Online payment through the YooKassa adapter against our YooKassa-format server: exactly-once credit,
untrusted webhooks, reconciliation, refunds, bad input. A real portal under uvicorn, real HTTP both ways."""

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from portal.billing import ledger
from portal.billing.payments import reconcile
from portal.billing.provider import gateway_of
from portal.billing.refunds import start_refund
from portal.models import LedgerEntry, Payment, Refund, utcnow
from tests.fixtures.ports import wait_until


def _entries(portal, kind: str = "payment") -> list[LedgerEntry]:
    with portal.db.session() as s:
        return list(s.scalars(select(LedgerEntry).where(LedgerEntry.kind == kind).order_by(LedgerEntry.id)))


def _payment(portal, payment_id: int) -> Payment:
    with portal.db.session() as s:
        return s.get(Payment, payment_id)


def _balance(portal) -> int:
    with portal.db.session() as s:
        return ledger.balance(s, portal.world.ids["a"])


def _start(portal, amount: str = "150.00", **extra) -> dict:
    with portal.client(portal.world.contract_a) as api:
        response = api.post("/api/v1/billing/payments", json={"amount": amount, **extra})
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_webhook_delivered_five_times_concurrently_credits_once(backend, pay_portal_factory, kassa, request) -> None:
    overrides = {"database_url": request.getfixturevalue("pg_url")} if backend == "postgresql" else {}
    portal = pay_portal_factory(kassa, **overrides)
    assert portal.db.url.startswith("postgresql" if backend == "postgresql" else "sqlite")
    created = _start(portal)
    assert created["status"] == "pending" and created["confirmation_url"].startswith(kassa.base_url)
    provider_id = created["provider_id"]
    kassa.pay(provider_id, notify=False)

    with ThreadPoolExecutor(5) as pool:
        statuses = list(pool.map(lambda _: kassa.notify("payment.succeeded", provider_id), range(5)))
    assert statuses == [200] * 5
    entries = _entries(portal)
    assert [(e.amount_kopecks, e.idempotency_key) for e in entries] == [(15000, f"payment:{provider_id}")]
    assert _balance(portal) == 15000
    row = _payment(portal, created["id"])
    assert row.status == "succeeded" and row.credited_at is not None
    # Each delivery re-read the payment from the provider before deciding.
    assert sum(1 for m, p, _ in kassa.requests if m == "GET" and p == f"/v3/payments/{provider_id}") >= 5


def test_webhook_never_delivered_reconciliation_credits(pay_portal, kassa) -> None:
    kassa.webhook_url = None  # the provider's notifications never arrive
    created = _start(pay_portal, "250.50")
    kassa.pay(created["provider_id"], notify=False)
    services = pay_portal.app.state.services
    assert reconcile(services.db, gateway_of(services), utcnow(), min_age=60)["checked"] == 0  # too fresh yet
    counts = reconcile(services.db, gateway_of(services), utcnow() + timedelta(minutes=2))
    assert counts["credited"] == 1
    assert [e.amount_kopecks for e in _entries(pay_portal)] == [25050]
    reconcile(services.db, gateway_of(services), utcnow() + timedelta(minutes=3))  # again: nothing more
    assert _balance(pay_portal) == 25050 and _payment(pay_portal, created["id"]).status == "succeeded"


def test_forged_webhook_provider_says_not_succeeded_no_credit(pay_portal, kassa) -> None:
    created = _start(pay_portal)
    provider_id = created["provider_id"]
    # The body claims success; the provider (re-read) says the payment is still pending.
    assert kassa.notify("payment.succeeded", provider_id, status="succeeded", paid=True) == 200
    assert _entries(pay_portal) == [] and _payment(pay_portal, created["id"]).status == "pending"
    # A notification for a payment the provider has never heard of.
    forged = {"type": "notification", "event": "payment.succeeded", "object": {"id": "2f999999-000f-5000-9000-1"}}
    forged["object"].update(status="succeeded", paid=True, amount={"value": "99999.00", "currency": "RUB"})
    assert httpx.post(pay_portal.webhook, json=forged).json() == {"status": "ignored"}
    # Junk is refused naming what is wrong, never a 5xx; an id that is no provider id never reaches its URL.
    for junk, field in [([1], "body"), ({"type": "x"}, "event"), ({**forged, "object": {}}, "object.id")]:
        response = httpx.post(pay_portal.webhook, json=junk)
        assert response.status_code == 422 and field in str(response.json()["detail"])
    sneaky = {**forged, "object": {"id": "../refunds/1"}}
    assert httpx.post(pay_portal.webhook, json=sneaky).json() == {"status": "ignored"}
    # A canceled payment's notification cancels, never credits.
    kassa.cancel(provider_id, notify=False)
    assert kassa.notify("payment.canceled", provider_id) == 200
    row = _payment(pay_portal, created["id"])
    assert row.status == "canceled" and row.cancellation_reason == "expired_on_confirmation"
    assert _entries(pay_portal) == [] and _balance(pay_portal) == 0


def test_amount_tampering_no_credit(pay_portal, kassa) -> None:
    # 1) The notification body claims 15 000 ₽ for a 150 ₽ payment: the claimed amount is never credited.
    first = _start(pay_portal, "150.00")
    kassa.pay(first["provider_id"], notify=False)
    kassa.notify("payment.succeeded", first["provider_id"], amount={"value": "15000.00", "currency": "RUB"})
    assert [e.amount_kopecks for e in _entries(pay_portal)] == [15000]  # 150.00 ₽, ours
    # 2) The provider's payment itself differs from what we asked (1.00 ₽ paid against our 500 ₽ row):
    second = _start(pay_portal, "500.00")
    kassa.payments[second["provider_id"]]["amount"] = {"value": "1.00", "currency": "RUB"}
    kassa.pay(second["provider_id"], notify=False)
    assert kassa.notify("payment.succeeded", second["provider_id"]) == 200
    row = _payment(pay_portal, second["id"])
    assert row.credited_at is None and row.status == "mismatch" and "1.00" in row.error
    # ...and another currency for the right figure is a mismatch too.
    third = _start(pay_portal, "200.00")
    kassa.payments[third["provider_id"]]["amount"] = {"value": "200.00", "currency": "USD"}
    kassa.pay(third["provider_id"], notify=False)
    kassa.notify("payment.succeeded", third["provider_id"])
    assert _payment(pay_portal, third["id"]).credited_at is None
    assert [e.amount_kopecks for e in _entries(pay_portal)] == [15000] and _balance(pay_portal) == 15000


BAD_AMOUNTS = ["0", "-10", "100000.01", "150.001", "abc", "", None, "1e3", "0.50", "1.5.0", [1], {"value": "1"}]


def test_bad_amount_is_422_naming_amount_and_stores_nothing(pay_portal, kassa) -> None:
    with pay_portal.client(pay_portal.world.contract_a) as api:
        for amount in BAD_AMOUNTS:
            response = api.post("/api/v1/billing/payments", json={"amount": amount})
            assert response.status_code == 422, (amount, response.text)
            assert response.json()["detail"].startswith("amount: "), amount
        assert api.post("/api/v1/billing/payments", json={}).json()["detail"] == "amount: укажите сумму"
    with pay_portal.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Payment)) == 0
    assert kassa.payments == {}


def test_payments_need_a_password_session(pay_portal, kassa) -> None:
    with httpx.Client(base_url=pay_portal.url, headers={"X-Forwarded-For": pay_portal.world.bound_ip}) as browser:
        landing = browser.get("/login", follow_redirects=False)  # transparent login from the bound ISP address
        assert landing.status_code == 303 and "dozor_session" in browser.cookies
        response = browser.post("/api/v1/billing/payments", json={"amount": "150.00"})
        assert response.status_code == 403 and "session" in response.json()["detail"]
        page = browser.get("/billing/topup")  # the cabinet's form says why, and stores nothing either
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        refused = browser.post("/billing/topup", data={"csrf": token, "amount": "150"})
        assert refused.status_code == 403 and "войдите по номеру договора и паролю" in refused.text
    with pay_portal.client() as anonymous:
        assert anonymous.post("/api/v1/billing/payments", json={"amount": "150.00"}).status_code == 401
    assert kassa.payments == {}


def test_refund_through_the_gateway_posts_one_refund_entry(pay_portal, kassa) -> None:
    created = _start(pay_portal, "300.00")
    kassa.pay(created["provider_id"])  # the webhook arrives on its own
    wait_until(lambda: _payment(pay_portal, created["id"]).credited_at, timeout=15, message="payment credited")
    services = pay_portal.app.state.services
    with services.db.session() as s:
        refund = start_refund(s, gateway_of(services), created["id"], "100.00", actor="admin", reason="двойная оплата")
    assert refund.status == "succeeded" and refund.credited_at is not None
    # refund.succeeded webhooks (the fake sends one on its own; and again, twice) change nothing more.
    assert kassa.notify("refund.succeeded", refund.provider_id) == 200
    assert kassa.notify("refund.succeeded", refund.provider_id) == 200
    wait_until(lambda: ("refund.succeeded", refund.provider_id, 200) in kassa.deliveries, message="own webhook")
    assert [e.amount_kopecks for e in _entries(pay_portal, "refund")] == [-10000]
    assert _balance(pay_portal) == 20000
    with services.db.session() as s:
        assert s.get(Payment, created["id"]).refunded_kopecks == 10000
        assert s.scalar(select(func.count()).select_from(Refund)) == 1
        with pytest.raises(ValueError, match="amount"):  # more than is left to refund
            start_refund(s, gateway_of(services), created["id"], "250.00", actor="admin", reason="x")


def test_gateway_down_then_reconciliation_resubmits_with_the_same_key(pay_portal_factory, kassa) -> None:
    portal = pay_portal_factory(kassa)
    services = portal.app.state.services
    real_url = gateway_of(services).api_url
    gateway_of(services).api_url = "http://127.0.0.1:9/v3"  # the provider is unreachable for a while
    with portal.client(portal.world.contract_a) as api:
        response = api.post("/api/v1/billing/payments", json={"amount": "150.00"})
    assert response.status_code == 502 and "gateway" in response.json()["detail"]
    with portal.db.session() as s:
        row = s.scalars(select(Payment)).one()
    assert row.status == "new" and row.provider_id is None
    gateway_of(services).api_url = real_url
    reconcile(services.db, gateway_of(services), utcnow() + timedelta(minutes=2))
    resubmitted = _payment(portal, row.id)
    assert resubmitted.status == "pending" and resubmitted.provider_id in kassa.payments
    assert ("POST", "/v3/payments", row.idempotence_key) in kassa.requests


def test_the_portal_job_settles_a_payment_whose_webhook_never_came(pay_portal_factory, kassa) -> None:
    portal = pay_portal_factory(kassa, payments_job_seconds=0.2, payments_settle_after=0)
    kassa.webhook_url = None
    created = _start(portal, "99.99")
    kassa.pay(created["provider_id"], notify=False)
    wait_until(lambda: _payment(portal, created["id"]).credited_at, timeout=30, message="the job credits it")
    assert [e.amount_kopecks for e in _entries(portal)] == [9999]


def test_a_suspended_subscriber_pays_online_and_is_restored_at_once(pay_portal, kassa) -> None:
    from datetime import UTC, datetime

    from portal.models import ContractBilling

    portal, cid = pay_portal, pay_portal.world.ids["a"]
    with portal.db.session() as s:
        ledger.post(s, cid, "adjustment", -20000, key="debt", description="Долг", actor="admin")
        s.get(ContractBilling, cid).negative_since = datetime.now(UTC) - timedelta(days=30)
    with portal.client(portal.world.contract_a) as api:
        assert api.get("/api/v1/cameras").status_code == 402
        account = api.get("/api/v1/billing/account").json()
        assert account["status"] == "suspended" and account["autopay"] == {"enabled": False}
        created = api.post("/api/v1/billing/payments", json={"amount": "250.00"})  # paying is never suspended
        assert created.status_code == 201
        kassa.pay(created.json()["provider_id"])  # its webhook credits it
        wait_until(lambda: api.get("/api/v1/cameras").status_code == 200, timeout=15, message="access restored")
        assert api.get("/api/v1/billing/account").json()["balance"] == "50.00"
        assert api.get("/api/v1/billing/payments").json()[0]["status"] == "succeeded"


def test_provider_outage_during_a_webhook_asks_for_redelivery(pay_portal, kassa) -> None:
    created = _start(pay_portal)
    kassa.pay(created["provider_id"], notify=False)
    kassa.outages = 1  # the re-read fails: the portal cannot verify, so it must not credit and must ask again
    response = httpx.post(pay_portal.webhook, json=kassa.notification("payment.succeeded", created["provider_id"]))
    assert response.status_code == 503 and _entries(pay_portal) == []
    assert kassa.notify("payment.succeeded", created["provider_id"]) == 200  # the provider's redelivery
    assert [e.amount_kopecks for e in _entries(pay_portal)] == [15000]
