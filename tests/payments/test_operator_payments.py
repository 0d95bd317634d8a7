"""The operator console's payments page: every payment with its status, a refund through the gateway."""

import re

import httpx
from sqlalchemy import select

from portal.billing import ledger
from portal.models import LedgerEntry, Payment
from tests.cabinet.world import OPERATOR_PASSWORD
from tests.fixtures.ports import wait_until


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def _credited(portal, payment_id: int) -> bool:
    with portal.db.session() as s:
        return s.get(Payment, payment_id).credited_at is not None


def test_operator_sees_payments_and_refunds_through_the_gateway(pay_portal, kassa) -> None:
    portal = pay_portal
    with portal.client(portal.world.contract_a) as api:
        paid = api.post("/api/v1/billing/payments", json={"amount": "150.00"}).json()
        pending = api.post("/api/v1/billing/payments", json={"amount": "40.00"}).json()
    kassa.pay(paid["provider_id"])
    wait_until(lambda: _credited(portal, paid["id"]), message="credited")

    with httpx.Client(base_url=portal.url, timeout=30) as console:
        login_page = console.get("/operator/login")
        form = {"csrf": _csrf(login_page.text), "login": portal.world.operator, "password": OPERATOR_PASSWORD}
        assert console.post("/operator/login", data={**form, "next": "/operator/payments"}).status_code == 303
        page = console.get("/operator/payments")
        assert page.status_code == 200 and "Платежи" in page.text
        rows = {m.group(1): m.group(2) for m in re.finditer(r'data-payment="(\d+)">(.*?)</tr>', page.text, re.S)}
        assert "зачислен" in rows[str(paid["id"])] and paid["provider_id"] in rows[str(paid["id"])]
        assert "ожидает оплаты" in rows[str(pending["id"])] and "refund-form" not in rows[str(pending["id"])]
        only_pending = console.get("/operator/payments?status=pending").text
        assert re.findall(r'data-payment="(\d+)"', only_pending) == [str(pending["id"])]

        token = _csrf(page.text)
        refund_url = f"/operator/payments/{paid['id']}/refund"
        bad = console.post(refund_url, data={"csrf": token, "amount": "500", "reason": "ошибка"})
        assert bad.status_code == 400 and "Сумма: сумма не может быть больше 150.00" in bad.text
        no_reason = console.post(refund_url, data={"csrf": token, "amount": "50", "reason": " "})
        assert no_reason.status_code == 400 and "Причина: укажите причину возврата" in no_reason.text
        done = console.post(refund_url, data={"csrf": token, "amount": "", "reason": "абонент передумал"})
        assert done.status_code == 200 and "Возврат 150,00\u00a0₽ выполнен" in done.text
        assert "абонент передумал" in done.text
        # Nothing left to refund: the form is gone and a second try is refused.
        again = console.post(refund_url, data={"csrf": token, "amount": "", "reason": "ещё раз"})
        assert again.status_code == 400 and "уже возвращён" in again.text

    with portal.db.session() as s:
        refunds = list(s.scalars(select(LedgerEntry).where(LedgerEntry.kind == "refund")))
        assert [(e.amount_kopecks, e.actor) for e in refunds] == [(-15000, portal.world.operator)]
        assert ledger.balance(s, portal.world.ids["a"]) == 0
    assert sum(1 for m, p, _ in kassa.requests if (m, p) == ("POST", "/v3/refunds")) == 1
