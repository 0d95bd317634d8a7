"""Remember: recovery by e-mail. Passwords are stored hashed, so the letter reminds the login (contract
number) and links the cabinet's password recovery; it goes out through the notification centre's one outbox
(SMTP when configured) like every letter."""

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import Contract, ContractEmail, utcnow
from portal.models.notify import NotifyMessage
from portal.notify import outbox

PURPOSE = "forpost_remember"
RESEND_AFTER = timedelta(minutes=5)


def remember(db: Session, email: str, public_url: str) -> bool:
    """Queue the reminder (once per RESEND_AFTER); False when no contract has this e-mail."""
    email = email.strip().lower()
    numbers = list(
        db.scalars(
            select(Contract.number)
            .join(ContractEmail, ContractEmail.contract_id == Contract.id)
            .where(func.lower(ContractEmail.email) == email)
            .order_by(Contract.number)
        )
    )
    if not numbers:
        return False
    recent = db.scalar(
        select(NotifyMessage.id).where(
            NotifyMessage.recipient == email,
            NotifyMessage.category == PURPOSE,
            NotifyMessage.created_at > utcnow() - RESEND_AFTER,
        )
    )
    if recent is not None:
        return True  # already on its way; do not flood the mailbox
    logins = ", ".join(numbers)
    text = f"Ваш логин (номер договора) в Дозоре: {logins}.\nВосстановить пароль: {public_url.rstrip('/')}/recover"
    outbox.enqueue(db, "email", email, text, subject="Дозор: ваш логин", category=PURPOSE, urgent=True)
    return True
