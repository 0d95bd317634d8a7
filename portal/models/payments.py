"""Online payments: a payment through the gateway, its refunds, a contract's auto-payment settings, and the
built-in test-mode gateway's own payments (the provider's side of the demo)."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, UTCDateTime, utcnow

# new: our row exists, the gateway has not answered yet; then the provider's statuses; failed: never created;
# mismatch: the provider's amount or currency differs from ours (never credited, shown to the operator).
PAYMENT_STATUSES = ("new", "pending", "waiting_for_capture", "succeeded", "canceled", "failed", "mismatch")


class Payment(Base):
    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    amount_kopecks: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="RUB")
    purpose: Mapped[str] = mapped_column(String(16), default="topup")  # topup | autopay
    description: Mapped[str] = mapped_column(String(128), default="")
    gateway: Mapped[str] = mapped_column(String(16))  # yookassa | testmode
    # Sent with every (re)try of the create call, so the provider returns the same payment, never a second one.
    idempotence_key: Mapped[str] = mapped_column(String(64), unique=True)
    provider_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(24), default="new", index=True)
    return_url: Mapped[str] = mapped_column(String(500), default="")
    confirmation_url: Mapped[str] = mapped_column(String(1000), default="")
    save_method: Mapped[bool] = mapped_column(Boolean, default=False)
    # The card the provider saved at this payment (usable for auto-payment); blanked when the payer opts out.
    payment_method_id: Mapped[str | None] = mapped_column(String(64))
    payment_method_title: Mapped[str] = mapped_column(String(100), default="")
    cancellation_reason: Mapped[str] = mapped_column(String(64), default="")
    error: Mapped[str] = mapped_column(String(500), default="")
    credited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refunded_kopecks: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Refund(Base):
    __tablename__ = "payment_refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"), index=True)
    amount_kopecks: Mapped[int] = mapped_column(Integer)
    idempotence_key: Mapped[str] = mapped_column(String(64), unique=True)
    provider_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="new")  # new | pending | succeeded | canceled | failed
    reason: Mapped[str] = mapped_column(String(300), default="")
    actor: Mapped[str] = mapped_column(String(64), default="")
    error: Mapped[str] = mapped_column(String(500), default="")
    credited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Autopay(Base):
    """A contract's auto-payment: charge `amount` to the saved card when the balance would drop below
    `threshold` (or below the next charge). At most one attempt a day; `failures` in a row stop it."""

    __tablename__ = "autopay_settings"

    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    payment_method_id: Mapped[str | None] = mapped_column(String(64))
    method_title: Mapped[str] = mapped_column(String(100), default="")
    threshold_kopecks: Mapped[int] = mapped_column(Integer, default=0)
    amount_kopecks: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_on: Mapped[str] = mapped_column(String(10), default="")  # contract-local date, YYYY-MM-DD
    last_payment_id: Mapped[int | None] = mapped_column(Integer)  # the latest attempt's payment
    noted_payment_id: Mapped[int | None] = mapped_column(Integer)  # the latest attempt whose outcome was counted
    last_error: Mapped[str] = mapped_column(String(300), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SandboxPayment(Base):
    """The built-in test-mode gateway's side of a payment (what a provider would keep). Demo only."""

    __tablename__ = "testmode_payments"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    idempotence_key: Mapped[str] = mapped_column(String(64), unique=True)
    request_digest: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8), default="payment")  # payment | refund
    payment_id: Mapped[str | None] = mapped_column(String(64))  # a refund's payment
    amount_kopecks: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(24), default="pending")
    description: Mapped[str] = mapped_column(String(128), default="")
    return_url: Mapped[str] = mapped_column(String(500), default="")
    save_method: Mapped[bool] = mapped_column(Boolean, default=False)
    payment_method_id: Mapped[str | None] = mapped_column(String(64))
    method_saved: Mapped[bool] = mapped_column(Boolean, default=False)
    meta: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
