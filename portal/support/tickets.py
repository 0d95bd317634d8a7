"""Tickets: opening one (form, bot, chat, visitor request), the thread, replies, states and the staff queue.

States: new → open → waiting (for the subscriber) → resolved → closed; a subscriber's reply to a waiting,
resolved or closed ticket reopens it. A staff reply that is not an internal note tells the subscriber
through the SMS/e-mail outbox.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from portal.access import can_view
from portal.auth.sessions import Principal
from portal.models import Contract, utcnow
from portal.models.support import Ticket, TicketAttachment, TicketMessage
from portal.notify.outbox import Policy, enqueue, notify
from portal.support import catalog
from portal.support.errors import SupportError
from portal.support.files import Upload, new_key

REOPENING = ("waiting", "resolved", "closed")
DONE = ("resolved", "closed")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{5,19}$")


@dataclass
class TicketForm:
    """The seed's form, field by field (the API's multipart names)."""

    name: str = ""
    phone: str = ""
    topic: str = ""
    address: str = ""
    camera_ids: list[str] = field(default_factory=list)
    camera_provider: str = ""
    cameras_online: str = ""
    mounting_height: str = ""
    camera_supplier: str = ""
    text: str = ""


def normal_phone(value: str, field_name: str = "phone", required: bool = True) -> str:
    value = (value or "").strip()
    if not value and not required:
        return ""
    if not _PHONE.match(value):
        raise SupportError(field_name, "укажите номер телефона, например +7 905 123-45-67")
    digits = re.sub(r"\D", "", value)
    if len(digits) == 11 and digits[0] == "8":
        digits = "7" + digits[1:]
    if not 10 <= len(digits) <= 15:
        raise SupportError(field_name, "в номере должно быть от 10 до 15 цифр")
    return "+" + digits


def clean_text(value: str, field_name: str, limit: int, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise SupportError(field_name, "поле не заполнено")
    if len(value) > limit:
        raise SupportError(field_name, f"не длиннее {limit} символов")
    return value


def check_form(db: Session, who: Principal, form: TicketForm) -> TicketForm:
    """Every field checked before anything is written; the first bad one is the error."""
    checked = TicketForm(
        name=clean_text(form.name, "name", 200, True),
        phone=normal_phone(form.phone),
        topic=form.topic.strip(),
        address=clean_text(form.address, "address", 300, False),
        camera_provider=catalog.check_choice("camera_provider", form.camera_provider),
        cameras_online=catalog.check_choice("cameras_online", form.cameras_online),
        mounting_height=catalog.check_choice("mounting_height", form.mounting_height),
        camera_supplier=catalog.check_choice("camera_supplier", form.camera_supplier),
        text=clean_text(form.text, "text", 5000, True),
    )
    if catalog.topic_by_code(db, checked.topic) is None:
        raise SupportError("topic", "выберите тему обращения из списка (или «Другое»)")
    ids = list(dict.fromkeys(c.strip() for c in form.camera_ids if c.strip()))
    if len(ids) > 50:
        raise SupportError("camera_ids", "не больше 50 камер")
    for camera_id in ids:
        if can_view(db, who, camera_id) is None:
            raise SupportError("camera_ids", f"камеры {camera_id!r} нет среди ваших камер")
    checked.camera_ids = ids
    if not checked.address:
        contract = db.get(Contract, who.contract_id)
        checked.address = contract.address.full if contract and contract.address else ""
    return checked


def _due(db: Session, topic_code: str, now: datetime) -> datetime:
    topic = catalog.topic_by_code(db, topic_code)
    return now + timedelta(minutes=topic.first_response_minutes if topic else 1440)


def open_ticket(db: Session, storage, *, kind: str, first_text: str, uploads: list[Upload], author: str, **fields):
    """Insert the ticket, its first message and attachments; the caller's transaction makes it all-or-nothing."""
    now = utcnow()
    ticket = Ticket(kind=kind, status="new", created_at=now, updated_at=now, **fields)
    ticket.first_response_due = _due(db, ticket.topic_code or "other", now)
    db.add(ticket)
    db.flush()
    add_message(db, storage, ticket, author=author, text=first_text, uploads=uploads, now=now)
    return ticket


def add_message(
    db: Session,
    storage,
    ticket: Ticket,
    *,
    author: str,
    text: str,
    uploads: list[Upload],
    operator_id: int | None = None,
    internal: bool = False,
    now: datetime | None = None,
) -> TicketMessage:
    now = now or utcnow()
    message = TicketMessage(
        ticket_id=ticket.id, author=author, operator_id=operator_id, internal=internal, text=text, created_at=now
    )
    db.add(message)
    db.flush()
    stored: list[str] = []
    try:
        for upload in uploads:
            key = new_key(ticket.id)
            storage.put(key, upload.data)
            stored.append(key)
            db.add(
                TicketAttachment(
                    ticket_id=ticket.id,
                    message_id=message.id,
                    filename=upload.filename,
                    content_type=upload.content_type,
                    size=len(upload.data),
                    key=key,
                    created_at=now,
                )
            )
        db.flush()
    except Exception:
        storage.delete(stored)  # the rows roll back with the caller's transaction; the objects must go too
        raise
    ticket.updated_at = now
    return message


def subscriber_reply(db: Session, storage, ticket: Ticket, text: str, uploads: list[Upload]) -> TicketMessage:
    text = clean_text(text, "text", 5000, not uploads)
    message = add_message(db, storage, ticket, author="subscriber", text=text, uploads=uploads)
    if ticket.status in REOPENING:
        ticket.status = "open"
    return message


def staff_reply(
    db: Session,
    storage,
    policy: Policy,
    ticket: Ticket,
    operator_id: int,
    text: str,
    uploads: list[Upload],
    *,
    internal: bool = False,
    status: str = "",
) -> TicketMessage:
    text = clean_text(text, "text", 5000, not uploads)
    if status and status not in catalog.STATUSES:
        raise SupportError("status", "неизвестное состояние")
    message = add_message(
        db, storage, ticket, author="staff", text=text, uploads=uploads, operator_id=operator_id, internal=internal
    )
    if ticket.assignee_id is None:
        ticket.assignee_id = operator_id
    if not internal:
        if ticket.first_response_at is None:
            ticket.first_response_at = message.created_at
        ticket.status = status or "waiting"
        notify_answer(db, policy, ticket)
    elif status:
        ticket.status = status
    elif ticket.status == "new":
        ticket.status = "open"
    return message


def notify_answer(db: Session, policy: Policy, ticket: Ticket) -> None:
    """Through the notification centre: a subscriber's ticket goes by the contract's «support» subscription
    (cabinet, e-mail, SMS, push); a visitor's goes by SMS to the phone and e-mail to the address they left."""
    text = f"Дозор: поддержка ответила на обращение №{ticket.id}. Ответ — в личном кабинете, раздел «Поддержка»."
    title = f"Ответ на обращение №{ticket.id}"
    contract = db.get(Contract, ticket.contract_id) if ticket.contract_id else None
    if contract is not None:
        link = f"{policy.public_url.rstrip('/')}/support/tickets/{ticket.id}"
        notify(db, policy, contract, "support", title, text, data={"ticket": ticket.id}, link=link)
        return
    text = f"Дозор: ответ на ваше обращение №{ticket.id}. Мы свяжемся с вами по этому номеру."
    if ticket.phone:
        enqueue(db, "sms", ticket.phone, text, category="support", urgent=True)
    if ticket.email:
        enqueue(db, "email", ticket.email, text, subject=title, category="support", urgent=True)


def set_status(db: Session, ticket: Ticket, status: str) -> None:
    if status not in catalog.STATUSES:
        raise SupportError("status", "неизвестное состояние")
    ticket.status, ticket.updated_at = status, utcnow()


def own_ticket(db: Session, who: Principal, ticket_id: int) -> Ticket | None:
    """The ticket if the caller may read it: its own contract, or staff. None → 404 (no hint it exists)."""
    ticket = db.get(Ticket, ticket_id)
    if ticket is None:
        return None
    if who.is_operator or (who.contract_id is not None and ticket.contract_id == who.contract_id):
        return ticket
    return None


def tickets_of(db: Session, contract_id: int) -> list[Ticket]:
    query = select(Ticket).where(Ticket.contract_id == contract_id).order_by(Ticket.id.desc())
    return list(db.scalars(query))


def thread(db: Session, ticket: Ticket, staff: bool) -> list[tuple[TicketMessage, list[TicketAttachment]]]:
    """Messages oldest first with their files; internal notes only for staff."""
    query = select(TicketMessage).where(TicketMessage.ticket_id == ticket.id).order_by(TicketMessage.id)
    if not staff:
        query = query.where(TicketMessage.internal.is_(False))
    messages = list(db.scalars(query))
    files = db.scalars(select(TicketAttachment).where(TicketAttachment.ticket_id == ticket.id))
    by_message: dict[int, list[TicketAttachment]] = {}
    for item in files:
        by_message.setdefault(item.message_id, []).append(item)
    return [(m, by_message.get(m.id, [])) for m in messages]


def attachment_for(db: Session, who: Principal, attachment_id: int) -> TicketAttachment | None:
    item = db.get(TicketAttachment, attachment_id)
    if item is None or own_ticket(db, who, item.ticket_id) is None:
        return None
    if not who.is_operator:
        message = db.get(TicketMessage, item.message_id)
        if message is None or message.internal:
            return None
    return item


@dataclass
class QueueFilter:
    state: str = ""
    topic: str = ""
    address: str = ""
    assignee: str = ""  # "" any, "none" unassigned, else operator id
    overdue: bool = False
    kind: str = ""


def is_overdue(ticket: Ticket, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return (
        ticket.first_response_at is None
        and ticket.status not in DONE
        and ticket.first_response_due is not None
        and ticket.first_response_due < now
    )


def queue_query(f: QueueFilter, now: datetime | None = None) -> Select[Any]:
    now = now or utcnow()
    query = select(Ticket).order_by(Ticket.first_response_due.is_(None), Ticket.first_response_due, Ticket.id)
    query = query.where(Ticket.status == f.state) if f.state else query.where(Ticket.status != "closed")
    if f.topic:
        query = query.where(Ticket.topic_code == f.topic)
    if f.kind:
        query = query.where(Ticket.kind == f.kind)
    if f.address.strip():
        query = query.where(Ticket.address.contains(f.address.strip()))
    if f.assignee == "none":
        query = query.where(Ticket.assignee_id.is_(None))
    elif f.assignee.isdigit():
        query = query.where(Ticket.assignee_id == int(f.assignee))
    if f.overdue:
        query = query.where(
            Ticket.first_response_at.is_(None),
            Ticket.status.not_in(DONE),
            Ticket.first_response_due < now,
        )
    return query


def queue(db: Session, f: QueueFilter, limit: int = 300) -> list[Ticket]:
    return list(db.scalars(queue_query(f).limit(limit)))
