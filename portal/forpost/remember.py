"""Remember: recovery by e-mail. Passwords are stored hashed, so the letter reminds the login (contract
number) and links the cabinet's password recovery; it goes through the cabinet's outbox like every letter."""

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import Contract, ContractEmail, OutboxMessage, utcnow

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
        select(OutboxMessage.id).where(
            OutboxMessage.recipient == email,
            OutboxMessage.purpose == PURPOSE,
            OutboxMessage.created_at > utcnow() - RESEND_AFTER,
        )
    )
    if recent is not None:
        return True  # already on its way; do not flood the mailbox
    logins = ", ".join(numbers)
    text = f"Ваш логин (номер договора) в Дозоре: {logins}.\nВосстановить пароль: {public_url.rstrip('/')}/recover"
    db.add(OutboxMessage(channel="email", recipient=email, text=text, purpose=PURPOSE))
    return True
