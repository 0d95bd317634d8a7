"""Billing tables: tariffs, each contract's billing account, the append-only money ledger, promised payments,
personal offers, per-camera retention overrides and the operator's billing settings (docs/billing.md)."""

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, UTCDateTime, utcnow

ARCHIVE_DAYS = (7, 14, 30)
LEDGER_KINDS = ("accrual", "payment", "refund", "adjustment", "promised", "promised_expiry", "offer")


class Tariff(Base):
    """An operator-managed plan for the video service: its monthly price sets the daily charge, its archive
    depth how far back a subscriber on it may look."""

    __tablename__ = "tariffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    monthly_price_kopecks: Mapped[int] = mapped_column(BigInteger)
    archive_days: Mapped[int] = mapped_column(Integer)  # one of ARCHIVE_DAYS
    description: Mapped[str] = mapped_column(Text, default="")
    switchable: Mapped[bool] = mapped_column(Boolean, default=True)  # subscribers may switch to it themselves
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # False = retired: nobody new gets it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ContractBilling(Base):
    """A contract's billing account. Its row is the lock that serialises ledger posts for the contract
    (SELECT ... FOR UPDATE), so ``balance_kopecks`` (a cache of the ledger's sum) and each entry's
    ``balance_after`` stay exact under concurrent workers."""

    __tablename__ = "contract_billing"

    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), primary_key=True)
    tariff_id: Mapped[int | None] = mapped_column(ForeignKey("tariffs.id"), index=True)
    pending_tariff_id: Mapped[int | None] = mapped_column(ForeignKey("tariffs.id"))
    pending_from: Mapped[date | None] = mapped_column(Date)  # local date the pending tariff takes effect
    tz: Mapped[str] = mapped_column(String(64), default="Asia/Novokuznetsk")  # the zone accrual days are dated in
    balance_kopecks: Mapped[int] = mapped_column(BigInteger, default=0)
    negative_since: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when the balance last went below 0
    # The last local day charged. Not indexed: accrual updates it on every row daily (HOT updates, no index churn).
    accrued_through: Mapped[date | None] = mapped_column(Date)
    discount_percent: Mapped[int] = mapped_column(Integer, default=0)  # from an accepted offer
    discount_tariff_id: Mapped[int | None] = mapped_column(ForeignKey("tariffs.id"))
    discount_until: Mapped[date | None] = mapped_column(Date)  # last local day the discount applies
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    tariff: Mapped[Tariff | None] = relationship(foreign_keys=[tariff_id], lazy="joined")
    pending_tariff: Mapped[Tariff | None] = relationship(foreign_keys=[pending_tariff_id], lazy="joined")


class LedgerEntry(Base):
    """One movement of money on a contract; never updated or deleted. Signed: charges are negative."""

    __tablename__ = "ledger_entries"
    # A contract's history by time: the one secondary index besides the idempotency key (accrual inserts
    # 100,000 rows a day; every extra index is paid on each of them).
    __table_args__ = (Index("ix_ledger_entries_contract_at", "contract_id", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # No foreign key (migration 0019_gaps): its per-row check was a third of the daily accrual, and every write
    # already holds the contract's billing row (which references the contract) locked; money entries also must
    # not be cascaded away with a contract.
    contract_id: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(20))  # one of LEDGER_KINDS
    amount_kopecks: Mapped[int] = mapped_column(BigInteger)
    balance_after_kopecks: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str] = mapped_column(String(500), default="")
    actor: Mapped[str] = mapped_column(String(64), default="system")  # operator login | "system" | "subscriber"
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    ref: Mapped[str] = mapped_column(String(200), default="")  # e.g. a gateway payment id
    service_date: Mapped[date | None] = mapped_column(Date)  # the local day an accrual pays for


class BillingSettings(Base):
    """The operator's billing knobs; a single row (id 1), created with defaults on first read."""

    __tablename__ = "billing_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    grace_days: Mapped[int] = mapped_column(Integer, default=3)  # days below zero before the service stops
    switch_mode: Mapped[str] = mapped_column(String(16), default="next_day")  # next_day | next_month
    promised_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    promised_days: Mapped[int] = mapped_column(Integer, default=5)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="")


class PromisedPayment(Base):
    """A «обещанный платёж»: credit for a few days, at most once per calendar month (local) per contract."""

    __tablename__ = "promised_payments"
    __table_args__ = (UniqueConstraint("contract_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    month: Mapped[str] = mapped_column(String(7))  # "2026-12" in the contract's zone
    amount_kopecks: Mapped[int] = mapped_column(BigInteger)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when the reversing entry was posted


class Offer(Base):
    """A personal offer: a discount on a tariff for some months, or a one-off bonus to the balance."""

    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16))  # discount | bonus
    tariff_id: Mapped[int | None] = mapped_column(ForeignKey("tariffs.id"))
    discount_percent: Mapped[int] = mapped_column(Integer, default=0)
    months: Mapped[int] = mapped_column(Integer, default=0)
    bonus_kopecks: Mapped[int] = mapped_column(BigInteger, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    tariff: Mapped[Tariff | None] = relationship(lazy="joined")


class OfferTarget(Base):
    """Who an offer is for: one contract, or every contract at an address (entrance)."""

    __tablename__ = "offer_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), index=True)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    address_id: Mapped[int | None] = mapped_column(ForeignKey("addresses.id", ondelete="CASCADE"), index=True)


class OfferAcceptance(Base):
    """A contract took an offer; the primary key makes accepting it twice impossible."""

    __tablename__ = "offer_acceptances"

    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), primary_key=True)
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CameraRetentionOverride(Base):
    """The operator pins how many days a camera keeps, whatever its viewers' tariffs say."""

    __tablename__ = "camera_retention_overrides"

    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True)
    days: Mapped[int] = mapped_column(Integer)
    set_by: Mapped[str] = mapped_column(String(64), default="")
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
