"""Notification centre tables (docs/notify.md): the one outbox of every channel, subscriptions per contract and
category, operator notices (news and important messages) with their targeting, and read marks."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, UTCDateTime, utcnow


class NotifyMessage(Base):
    """One delivery to one recipient over one channel. `text` is what the console shows (codes masked);
    `body` keeps the full text only while a code must still go out, and is cleared once handed over."""

    __tablename__ = "notify_outbox"
    __table_args__ = (Index("ix_notify_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))  # email | sms | push
    recipient: Mapped[str] = mapped_column(String(512))
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(32), default="")
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notify_notices.id", ondelete="SET NULL"), index=True)
    push_token_id: Mapped[int | None] = mapped_column(Integer)  # forpost_push_tokens.id, to drop a dead token
    subject: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    data: Mapped[str] = mapped_column(Text, default="{}")  # JSON: deep-link parameters, unsubscribe URL
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(12), default="queued")  # queued | sending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_by: Mapped[str] = mapped_column(String(64), default="")
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str] = mapped_column(String(500), default="")
    reference: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NotifySubscription(Base):
    """Which channels one category goes to for one contract ("" = only in the cabinet). No row = defaults."""

    __tablename__ = "notify_subscriptions"

    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    channels: Mapped[str] = mapped_column(String(64), default="")  # comma-separated: email,sms,push


class Notice(Base):
    """An operator's post: news (kind="news") or an important message (maintenance, tariff, outage) in force
    from `starts_at` to `ends_at`. Targeting: all | city (target_value) | address (id) | contracts (rows)."""

    __tablename__ = "notify_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="news")  # news | maintenance | tariff | outage
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text, default="")
    image_url: Mapped[str] = mapped_column(String(500), default="")
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    target_kind: Mapped[str] = mapped_column(String(12), default="all")
    target_value: Mapped[str] = mapped_column(String(200), default="")
    delivered: Mapped[bool] = mapped_column(Boolean, default=False)  # fanned out to the outbox already
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NoticeContract(Base):
    """A notice targeted at a list of contracts: one row per contract."""

    __tablename__ = "notify_notice_contracts"

    notice_id: Mapped[int] = mapped_column(ForeignKey("notify_notices.id", ondelete="CASCADE"), primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), primary_key=True)


class NoticeRead(Base):
    __tablename__ = "notify_notice_reads"

    notice_id: Mapped[int] = mapped_column(ForeignKey("notify_notices.id", ondelete="CASCADE"), primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), primary_key=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CameraAlert(Base):
    """A camera reported down and not yet back: when, and whether its viewers were told (after N minutes)."""

    __tablename__ = "notify_camera_alerts"

    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True)
    down_at: Mapped[datetime] = mapped_column(UTCDateTime)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
