"""Auto-payment against the YooKassa-format server (saved card, recurring charge without redirect, declines,
opt-out), and the built-in test-mode gateway's whole flow over HTTP (the demo's default)."""

import re
from datetime import timedelta

import httpx
from sqlalchemy import select

from portal.billing import autopay, ledger
from portal.billing.provider import gateway_of
from portal.billing.testmode import TestModeGateway
from portal.models import Autopay, Payment, utcnow
from portal.models.notify import NotifyMessage
from tests.cabinet.world import PASSWORD
from tests.fixtures.ports import wait_until


def _pay_and_save_card(portal, kassa, amount: str = "150.00") -> str:
    with portal.client(portal.world.contract_a) as api:
        created = api.post("/api/v1/billing/payments", json={"amount": amount, "save_payment_method": True}).json()
    kassa.pay(created["provider_id"])
    with portal.db.session() as s:
        wait_until(lambda: s.get(Payment, created["id"]).credited_at, timeout=15, message="credited")
        return s.get(Payment, created["id"]).payment_method_id


def _spend(portal, kopecks: int, key: str) -> None:
    with portal.db.session() as s:
        ledger.post(s, portal.world.ids["a"], "adjustment", -kopecks, key=key, description="тест", actor="admin")


def _balance(portal) -> int:
    with portal.db.session() as s:
        return ledger.balance(s, portal.world.ids["a"])


def test_autopay_charges_the_saved_card_before_the_balance_runs_out(pay_portal, kassa) -> None:
    portal, cid = pay_portal, pay_portal.world.ids["a"]
    services = portal.app.state.services
    method = _pay_and_save_card(portal, kassa)
    assert method and method in kassa.saved_methods
    with portal.db.session() as s:
        assert autopay.saved_cards(s, cid) == [(method, "Bank card *4444")]
        autopay.enable(s, cid, method, "100", "500")
    now = utcnow()
    assert autopay.run(services.db, gateway_of(services), services.settings, now) == 0  # 150 ₽ left: not due
    _spend(portal, 6000, "spend-1")  # 90 ₽ left, below the 100 ₽ threshold
    assert autopay.run(services.db, gateway_of(services), services.settings, now) == 1
    assert _balance(portal) == 9000 + 50000
    charges = [p for p in kassa.payments.values() if p.get("payment_method", {}).get("id") == method]
    assert len(charges) == 2 and "confirmation" not in charges[-1]  # the recurring one: no redirect
    assert charges[-1]["amount"]["value"] == "500.00"
    _spend(portal, 55000, "spend-2")
    assert autopay.run(services.db, gateway_of(services), services.settings, now) == 0  # once a day
    assert autopay.run(services.db, gateway_of(services), services.settings, now + timedelta(days=1)) == 1
    assert _balance(portal) == 4000 + 50000


def test_declined_autopay_notifies_and_stops_after_the_limit_opt_out_forgets_the_card(pay_portal, kassa) -> None:
    portal, cid = pay_portal, pay_portal.world.ids["a"]
    services = portal.app.state.services
    method = _pay_and_save_card(portal, kassa, "50.00")
    with portal.db.session() as s:
        autopay.enable(s, cid, method, "100", "300")
    kassa.declined_methods.add(method)
    now = utcnow()
    for day in range(3):
        assert autopay.run(services.db, gateway_of(services), services.settings, now + timedelta(days=day)) == 1
    with portal.db.session() as s:
        row = s.get(Autopay, cid)
        assert not row.enabled and row.failures == 3 and "insufficient_funds" in row.last_error
        texts = list(s.scalars(select(NotifyMessage).where(NotifyMessage.category == "billing")))
        recipients = {m.recipient for m in texts}
        assert recipients == {portal.world.phone_a, portal.world.phone_a2, "a@mail.ru"}
        assert len(texts) == 9 and "автоплатёж отключён" in texts[-1].text
    assert autopay.run(services.db, gateway_of(services), services.settings, now + timedelta(days=4)) == 0
    assert _balance(portal) == 5000  # nothing was credited for the declined charges

    with portal.db.session() as s:
        autopay.enable(s, cid, method, "100", "300")
        autopay.disable(s, cid)
    with portal.db.session() as s:
        assert autopay.saved_cards(s, cid) == [] and s.get(Autopay, cid).payment_method_id is None


def test_autopay_bad_input_names_the_field(pay_portal, kassa) -> None:
    portal, cid = pay_portal, pay_portal.world.ids["a"]
    method = _pay_and_save_card(portal, kassa)
    for args, field in [
        (("pm-unknown", "100", "500"), "payment_method_id"),
        ((method, "-5", "500"), "threshold"),
        ((method, "100", "0"), "amount"),
        ((method, "100", "12.345"), "amount"),
    ]:
        with portal.db.session() as s:
            try:
                autopay.enable(s, cid, *args)
            except ValueError as exc:
                assert exc.field == field
            else:
                raise AssertionError(f"{args} accepted")
    with portal.db.session() as s:
        assert s.get(Autopay, cid) is None


def test_test_mode_gateway_whole_flow_over_http(pay_portal_factory) -> None:
    portal = pay_portal_factory(None)  # no YooKassa credentials: the built-in test mode
    assert isinstance(gateway_of(portal.app.state.services), TestModeGateway)
    with httpx.Client(base_url=portal.url, timeout=30) as browser:
        login = {"contract": portal.world.contract_a, "password": PASSWORD}
        assert browser.post("/api/v1/auth/login", json=login).status_code == 200  # session cookie
        created = browser.post("/api/v1/billing/payments", json={"amount": "150.00"}).json()
        assert created["status"] == "pending"
        assert created["confirmation_url"] == f"{portal.url}/billing/test-gateway/{created['provider_id']}"
        page = browser.get(created["confirmation_url"])
        assert page.status_code == 200 and "тестовый режим" in page.text and "Оплатить" in page.text
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        paid = browser.post(f"{created['confirmation_url']}/pay", data={"csrf": token}, follow_redirects=True)
        assert paid.url.path == "/billing/topup" and "Платёж зачислен" in paid.text
        assert _balance(portal) == 15000
        # The same idempotence semantics as the real provider; a second click changes nothing.
        browser.post(f"{created['confirmation_url']}/pay", data={"csrf": token})
        assert _balance(portal) == 15000
        assert browser.get(f"/api/v1/billing/payments/{created['id']}").json()["status"] == "succeeded"
