"""The subscriber cabinet's tables: contacts, IP bindings, login throttling, password recovery,
the message outbox, placement objects and favourites."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, UTCDateTime, utcnow


class ContractPhone(Base):
    """A phone bound to a contract (E.164 digits with '+'); recovery codes go to these."""

    __tablename__ = "contract_phones"
    __table_args__ = (UniqueConstraint("contract_id", "phone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    phone: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ContractEmail(Base):
    __tablename__ = "contract_emails"
    __table_args__ = (UniqueConstraint("contract_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ContactConfirmation(Base):
    """A pending new phone or email: it is bound only after the code sent to it comes back."""

    __tablename__ = "contact_confirmations"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # phone | email
    value: Mapped[str] = mapped_column(String(254))
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IpBinding(Base):
    """An address or range of the ISP's network bound to a contract, for transparent login.

    Bounds are stored as fixed-width hex (32 digits, IPv4 mapped into IPv6) so that a plain string
    comparison in SQL finds the range holding an address, on SQLite and PostgreSQL alike.
    """

    __tablename__ = "ip_bindings"
    __table_args__ = (UniqueConstraint("network"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    network: Mapped[str] = mapped_column(String(64))  # as given, normalised: "10.1.2.0/24" or "10.1.2.5-10.1.2.9"
    first_hex: Mapped[str] = mapped_column(String(32), index=True)
    last_hex: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16), default="manual")  # manual | csv | api
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoginThrottle(Base):
    """Failed logins counted per client IP and per contract; a lock stops guessing for a while."""

    __tablename__ = "login_throttle"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(8))  # ip | contract
    key: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RecoveryRequest(Base):
    """One password-recovery attempt (seed 001): contract -> phone -> SMS code -> new password.

    The browser holds the flow token (stored hashed); the code is stored hashed too.
    """

    __tablename__ = "recovery_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    phone_id: Mapped[int | None] = mapped_column(ForeignKey("contract_phones.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64), default="")
    code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sends: Mapped[int] = mapped_column(Integer, default=0)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ip: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OutboxMessage(Base):
    """Every SMS (and e-mail) the portal sends, kept for the operator console; gateways update the status.

    `text` is what the console shows: a code in it is masked. `body` is the full text, kept only while the
    message waits for a delivery that has not happened (no provider) and purged once delivered or stale.
    """

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(8), default="sms")  # sms | email
    recipient: Mapped[str] = mapped_column(String(254), index=True)
    text: Mapped[str] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(32), default="")  # recovery | contact | ...
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued | sent | failed
    gateway: Mapped[str] = mapped_column(String(32), default="outbox")
    error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PlacementObject(Base):
    """A place cameras are grouped under («Дача», «Домовые камеры»); owned by a contract or an entrance."""

    __tablename__ = "placement_objects"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    address_id: Mapped[int | None] = mapped_column(ForeignKey("addresses.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("placement_objects.id", ondelete="SET NULL"))


class CameraPlacement(Base):
    """Which placement object a camera is shown under (at most one)."""

    __tablename__ = "camera_placements"

    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True)
    object_id: Mapped[int] = mapped_column(ForeignKey("placement_objects.id", ondelete="CASCADE"), index=True)


class Favourite(Base):
    __tablename__ = "favourites"

    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), primary_key=True)
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
