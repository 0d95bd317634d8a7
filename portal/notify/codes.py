"""One-time codes (password recovery, step-up, contact confirmation) through the notification centre's outbox.

A code goes out like every other message (the one outbox, the one worker: SMS.ru, SMTP or the local outbox),
urgent (no quiet hours), and is never kept readable longer than it lives: the row's `text` — what the console
shows — has it masked; the full text waits in `body` only until a provider takes it (the worker clears it then)
or, when no provider is configured (the local outbox is the delivery), until SECRET_TTL, after which
`purge_codes` forgets it.
"""

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from portal.models import utcnow
from portal.models.notify import NotifyMessage
from portal.notify import outbox

SECRET_TTL = timedelta(minutes=10)  # recovery codes live 5 minutes, contact codes 10
SUBJECT = "Дозор: код подтверждения"


def send_code(
    db: Session, channel: str, recipient: str, text: str, code: str, *, purpose: str, contract_id: int | None = None
) -> NotifyMessage:
    """Queue `text` (which contains `code`) for `recipient` over `channel` ("sms" | "email")."""
    purge_codes(db)
    row = outbox.enqueue(
        db, channel, recipient, text, subject=SUBJECT if channel == "email" else "", category=purpose,
        contract_id=contract_id, urgent=True, secret=code,
    )  # fmt: skip
    db.flush()
    return row


def purge_codes(db: Session, now: datetime | None = None) -> int:
    """Forget the full text of messages older than SECRET_TTL (their codes are dead); returns how many."""
    cutoff = (now or utcnow()) - SECRET_TTL
    result = db.execute(
        update(NotifyMessage)
        .where(NotifyMessage.body.is_not(None), NotifyMessage.created_at < cutoff)
        .values(body=None)
        .execution_options(synchronize_session=False)
    )
    return getattr(result, "rowcount", 0) or 0
