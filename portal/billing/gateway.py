"""The payment gateway interface the payments domain speaks; YooKassa (yookassa.py) and the built-in test
mode (testmode.py) implement it. Amounts are integer kopecks here; each adapter converts to its wire form."""

from dataclasses import dataclass, field
from typing import Protocol

# YooKassa's payment statuses; every adapter maps its own onto these.
PENDING, WAITING, SUCCEEDED, CANCELED = "pending", "waiting_for_capture", "succeeded", "canceled"
OPEN_STATUSES = (PENDING, WAITING)


class GatewayError(Exception):
    """The provider could not be reached or refused the request; `retryable` when the same call may succeed."""

    def __init__(self, message: str, *, retryable: bool = True, code: str = "") -> None:
        super().__init__(message)
        self.retryable = retryable
        self.code = code


@dataclass(frozen=True)
class GatewayPayment:
    """A payment as the provider reports it (never as a webhook body claims it)."""

    id: str
    status: str
    paid: bool
    amount_kopecks: int
    currency: str
    confirmation_url: str | None = None
    payment_method_id: str | None = None
    payment_method_saved: bool = False
    payment_method_title: str = ""
    cancellation_reason: str = ""
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return self.status == SUCCEEDED and self.paid


@dataclass(frozen=True)
class GatewayRefund:
    id: str
    payment_id: str
    status: str  # pending | succeeded | canceled
    amount_kopecks: int
    currency: str


class PaymentGateway(Protocol):
    """What the payments domain needs from a provider. `idempotence_key`: the same key and the same request
    return the same payment, so a retry after a timeout never charges twice."""

    name: str

    def create_payment(
        self,
        *,
        amount_kopecks: int,
        description: str,
        return_url: str,
        idempotence_key: str,
        save_payment_method: bool = False,
        payment_method_id: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> GatewayPayment:
        """A redirect payment (confirmation_url to send the payer to), or with `payment_method_id` a
        recurring charge of a saved card that needs no redirect."""
        ...

    def get_payment(self, payment_id: str) -> GatewayPayment: ...

    def create_refund(self, *, payment_id: str, amount_kopecks: int, idempotence_key: str) -> GatewayRefund: ...

    def get_refund(self, refund_id: str) -> GatewayRefund: ...
