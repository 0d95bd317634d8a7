"""Sending: record the message in the outbox, then let the configured gateway deliver it.

A code in a message (`secret`) is never kept readable: the row's `text` — what the operator console shows —
has it masked. Only a message still waiting for delivery (no provider configured: the outbox is the delivery)
keeps its full text in `body`, and only for SECRET_TTL, longer than any code lives. A message a provider took
(or refused: a new code is requested then) never stores it.
"""

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.models import OutboxMessage, utcnow
from portal.sms.gateways import DeliveryError, SmsGateway

MASK = "••••••"
SECRET_TTL = timedelta(minutes=10)  # recovery codes live 5 minutes, contact codes 10


def masked(text: str, secret: str) -> str:
    return text.replace(secret, MASK) if secret else text


def send_message(
    db: Session,
    gateway: SmsGateway,
    recipient: str,
    text: str,
    *,
    purpose: str,
    channel: str = "sms",
    secret: str = "",
) -> OutboxMessage:
    """Never raises on a delivery failure: the row says `failed` and why, so the operator can see it."""
    purge_secrets(db)
    row = OutboxMessage(
        channel=channel, recipient=recipient, text=masked(text, secret), purpose=purpose, gateway=gateway.name
    )
    db.add(row)
    db.flush()
    if channel != "sms":
        # No e-mail gateway yet: the message waits in the outbox, its code readable only until SECRET_TTL.
        row.gateway, row.status, row.body = "outbox", "outbox", text if secret else None
        return row
    try:
        reference = gateway.deliver(row.id, recipient, text)
    except DeliveryError as exc:
        row.status, row.error = "failed", str(exc)[:500]
        return row
    if gateway.name == "outbox":
        row.status, row.body = "outbox", text if secret else None  # nobody delivered it: it waits, briefly
    else:
        row.status = "sent"
    row.error = f"ref {reference}" if reference else ""
    row.sent_at = utcnow()
    return row


def purge_secrets(db: Session, now: datetime | None = None) -> int:
    """Forget the full text of messages older than SECRET_TTL (their codes are dead); returns how many."""
    cutoff = (now or utcnow()) - SECRET_TTL
    result = db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.body.is_not(None), OutboxMessage.created_at < cutoff)
        .values(body=None)
        .execution_options(synchronize_session=False)
    )
    return getattr(result, "rowcount", 0) or 0  # a CursorResult for UPDATE


def recent_messages(db: Session, limit: int = 200, recipient: str = "") -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if recipient:
        query = query.where(OutboxMessage.recipient.contains(recipient))
    return list(db.scalars(query))
