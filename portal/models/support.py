"""The support desk's tables: form topics, the bot's tree, tickets with their thread and attachments,
canned replies, contact numbers per city, and live chats."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, UTCDateTime, utcnow


class SupportTopic(Base):
    """One entry of the form's «Тема обращения» dropdown; its first-response time drives the due time."""

    __tablename__ = "support_topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    first_response_minutes: Mapped[int] = mapped_column(Integer, default=240)
    position: Mapped[int] = mapped_column(Integer, default=0)


class BotNode(Base):
    """The chat bot's tree: roots are sections («Технический вопрос»), their children topics with guidance."""

    __tablename__ = "support_bot_nodes"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("support_bot_nodes.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    guidance: Mapped[str] = mapped_column(Text, default="")
    topic_code: Mapped[str] = mapped_column(String(32), default="other")  # the ticket's form topic
    position: Mapped[int] = mapped_column(Integer, default=0)


class Ticket(Base):
    """One request to support: from the form, the bot, a chat, or a visitor's call-back/feedback/connect."""

    __tablename__ = "support_tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="form")  # form|bot|chat|callback|feedback|connect
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    topic_code: Mapped[str] = mapped_column(String(32), default="other")
    section: Mapped[str] = mapped_column(String(200), default="")  # the bot's section, when it came from the bot
    bot_topic: Mapped[str] = mapped_column(String(200), default="")
    name: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    camera_ids: Mapped[list] = mapped_column(JSON, default=list)
    camera_provider: Mapped[str] = mapped_column(String(16), default="")
    cameras_online: Mapped[str] = mapped_column(String(8), default="")
    mounting_height: Mapped[str] = mapped_column(String(16), default="")
    camera_supplier: Mapped[str] = mapped_column(String(16), default="")
    preferred_time: Mapped[str] = mapped_column(String(100), default="")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id", ondelete="SET NULL"), index=True)
    ip: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_response_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TicketMessage(Base):
    """One entry of a ticket's thread; `internal` notes are for staff only."""

    __tablename__ = "support_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("support_tickets.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(16))  # subscriber | visitor | staff | system
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id", ondelete="SET NULL"))
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TicketAttachment(Base):
    """A file of a message; the bytes live in the object store under `key` (support/…)."""

    __tablename__ = "support_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("support_tickets.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("support_messages.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CannedReply(Base):
    __tablename__ = "support_canned_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)


class ContactCity(Base):
    """A city of the contacts page; its numbers and offices are ContactEntry rows."""

    __tablename__ = "support_contact_cities"

    id: Mapped[int] = mapped_column(primary_key=True)
    city: Mapped[str] = mapped_column(String(100), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class ContactEntry(Base):
    __tablename__ = "support_contact_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("support_contact_cities.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # phone | office | email
    label: Mapped[str] = mapped_column(String(200), default="")
    value: Mapped[str] = mapped_column(String(300))
    hours: Mapped[str] = mapped_column(String(100), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class ChatSession(Base):
    """A live chat of a subscriber with staff; it may become a ticket (`ticket_id`)."""

    __tablename__ = "support_chats"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(8), default="open")  # open | closed
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("support_tickets.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChatMessage(Base):
    """Rows are the delivery channel too: every worker polls for ids above the last one it sent."""

    __tablename__ = "support_chat_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("support_chats.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(16))  # subscriber | staff
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
