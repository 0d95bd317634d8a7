"""The YooKassa v3 adapter against our local server speaking the same wire format (tests/fixtures/yookassa.py)."""

from collections.abc import Iterator

import httpx
import pytest

from portal.billing.gateway import GatewayError
from portal.billing.yookassa import YooKassaGateway, wire_kopecks, wire_value
from tests.fixtures.yookassa import FakeYooKassa


@pytest.fixture
def kassa() -> Iterator[FakeYooKassa]:
    server = FakeYooKassa(shop_id="1001", secret_key="test_secret").start()
    yield server
    server.stop()


def _gateway(kassa: FakeYooKassa, secret: str = "test_secret") -> YooKassaGateway:
    return YooKassaGateway("1001", secret, api_url=kassa.api_url)


def test_wire_amounts_are_exact_kopecks() -> None:
    assert wire_value(15000) == "150.00" and wire_value(5) == "0.05" and wire_value(123456) == "1234.56"
    assert wire_kopecks("150.00") == 15000 and wire_kopecks("0.5") == 50 and wire_kopecks("7") == 700
    for bad in ("1e3", "-1.00", "1.001", "", None, "NaN"):
        with pytest.raises(GatewayError):
            wire_kopecks(bad)


def test_redirect_payment_then_pay_saves_the_card(kassa: FakeYooKassa) -> None:
    gateway = _gateway(kassa)
    created = gateway.create_payment(
        amount_kopecks=15000,
        description="Пополнение договора 100101",
        return_url="http://portal.test/billing/topup/return",
        idempotence_key="key-1",
        save_payment_method=True,
        metadata={"payment_id": "7"},
    )
    assert created.status == "pending" and not created.paid and created.amount_kopecks == 15000
    assert created.currency == "RUB" and created.confirmation_url.startswith(kassa.base_url + "/checkout/")
    assert created.metadata == {"payment_id": "7"}
    assert kassa.requests[-1] == ("POST", "/v3/payments", "key-1")

    # The checkout page redirects the payer back to return_url.
    response = httpx.post(created.confirmation_url + "/pay")
    assert response.status_code == 303 and response.headers["location"] == "http://portal.test/billing/topup/return"
    paid = gateway.get_payment(created.id)
    assert paid.succeeded and paid.payment_method_saved and paid.payment_method_id.startswith("pm-")
    assert paid.payment_method_title == "Bank card *4444"

    # A recurring charge of the saved card: no redirect, succeeds at once.
    charge = gateway.create_payment(
        amount_kopecks=50000,
        description="Автоплатёж",
        return_url="",
        idempotence_key="key-2",
        payment_method_id=paid.payment_method_id,
    )
    assert charge.succeeded and charge.confirmation_url is None


def test_same_idempotence_key_same_payment_other_body_refused(kassa: FakeYooKassa) -> None:
    gateway = _gateway(kassa)
    args = dict(amount_kopecks=10000, description="x", return_url="http://r.test/", idempotence_key="same")
    first, again = gateway.create_payment(**args), gateway.create_payment(**args)
    assert first.id == again.id and len(kassa.payments) == 1
    with pytest.raises(GatewayError) as info:
        gateway.create_payment(**{**args, "amount_kopecks": 20000})
    assert not info.value.retryable and info.value.code == "invalid_request"


def test_wrong_secret_is_refused_and_not_retryable(kassa: FakeYooKassa) -> None:
    with pytest.raises(GatewayError) as info:
        _gateway(kassa, secret="wrong").get_payment("2f000001-000f-5000-9000-000000000000")
    assert info.value.code == "invalid_credentials" and not info.value.retryable


def test_unreachable_provider_is_a_retryable_error() -> None:
    gateway = YooKassaGateway("1001", "test_secret", api_url="http://127.0.0.1:9/v3", timeout=2)
    with pytest.raises(GatewayError) as info:
        gateway.get_payment("abc")
    assert info.value.retryable


def test_refund_and_declined_recurring_charge(kassa: FakeYooKassa) -> None:
    gateway = _gateway(kassa)
    created = gateway.create_payment(
        amount_kopecks=30000,
        description="x",
        return_url="http://r.test/",
        idempotence_key="k",
        save_payment_method=True,
    )
    kassa.pay(created.id, notify=False)
    refund = gateway.create_refund(payment_id=created.id, amount_kopecks=10000, idempotence_key="r1")
    assert refund.status == "succeeded" and refund.amount_kopecks == 10000 and refund.payment_id == created.id
    assert gateway.get_refund(refund.id) == refund
    with pytest.raises(GatewayError):  # more than is left of the payment
        gateway.create_refund(payment_id=created.id, amount_kopecks=25000, idempotence_key="r2")

    method = gateway.get_payment(created.id).payment_method_id
    kassa.declined_methods.add(method)
    charge = gateway.create_payment(
        amount_kopecks=100, description="x", return_url="", idempotence_key="k3", payment_method_id=method
    )
    assert charge.status == "canceled" and charge.cancellation_reason == "insufficient_funds"


def test_ids_that_are_not_provider_ids_never_reach_the_url(kassa: FakeYooKassa) -> None:
    with pytest.raises(GatewayError):
        _gateway(kassa).get_payment("../refunds/x")
