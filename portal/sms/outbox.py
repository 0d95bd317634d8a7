"""Sending: record the message in the outbox, then let the configured gateway deliver it."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import OutboxMessage, utcnow
from portal.sms.gateways import DeliveryError, SmsGateway


def send_message(
    db: Session, gateway: SmsGateway, recipient: str, text: str, *, purpose: str, channel: str = "sms"
) -> OutboxMessage:
    """Never raises on a delivery failure: the row says `failed` and why, so the operator can see it."""
    row = OutboxMessage(channel=channel, recipient=recipient, text=text, purpose=purpose, gateway=gateway.name)
    db.add(row)
    db.flush()
    if channel != "sms":
        row.gateway, row.status = "outbox", "outbox"  # no e-mail gateway yet: the console is the delivery
        return row
    try:
        reference = gateway.deliver(row.id, recipient, text)
    except DeliveryError as exc:
        row.status, row.error = "failed", str(exc)[:500]
        return row
    row.status = "outbox" if gateway.name == "outbox" else "sent"
    row.error = f"ref {reference}" if reference else ""
    row.sent_at = utcnow()
    return row


def recent_messages(db: Session, limit: int = 200, recipient: str = "") -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if recipient:
        query = query.where(OutboxMessage.recipient.contains(recipient))
    return list(db.scalars(query))
