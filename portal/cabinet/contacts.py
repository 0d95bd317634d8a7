"""Editing the phones and e-mails bound to a contract. A new contact is bound only after the code sent
to it is entered (so nobody binds a stranger's phone to receive recovery codes)."""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.cabinet.contacts_format import normalize_email, normalize_phone
from portal.cabinet.contracts import emails_of, phones_of
from portal.cabinet.errors import FieldError
from portal.models import ContactConfirmation, ContractEmail, ContractPhone, utcnow
from portal.notify import codes

CODE_TTL = timedelta(minutes=10)
ATTEMPTS = 3
PENDING_PER_HOUR = 5


def _hash(confirmation_salt: str, code: str) -> str:
    return hmac.new(confirmation_salt.encode(), code.encode(), hashlib.sha256).hexdigest()


def request_contact(
    db: Session, contract_id: int, kind: str, raw: str, now: datetime | None = None
) -> ContactConfirmation:
    """Send a code to the new phone (SMS) or e-mail through the notification centre's outbox and keep the
    pending change."""
    now = now or utcnow()
    if kind == "phone":
        value = normalize_phone(raw, "phone")
        if any(p.phone == value for p in phones_of(db, contract_id)):
            raise FieldError("phone", "этот телефон уже привязан")
    elif kind == "email":
        value = normalize_email(raw, "email")
        if any(e.email == value for e in emails_of(db, contract_id)):
            raise FieldError("email", "эта почта уже привязана")
    else:
        raise FieldError("kind", "можно добавить телефон или почту")
    recent = db.scalars(
        select(ContactConfirmation).where(
            ContactConfirmation.contract_id == contract_id, ContactConfirmation.created_at > now - timedelta(hours=1)
        )
    ).all()
    if len(recent) >= PENDING_PER_HOUR:
        raise FieldError(kind, "слишком много запросов кода — попробуйте через час")
    code = f"{secrets.randbelow(10**6):06d}"
    salt = secrets.token_hex(8)
    row = ContactConfirmation(
        contract_id=contract_id,
        kind=kind,
        value=value,
        code_hash=f"{salt}:{_hash(salt, code)}",
        created_at=now,
        expires_at=now + CODE_TTL,
    )
    db.add(row)
    db.flush()
    text = f"Дозор: код подтверждения {code}. Действует 10 минут."
    channel = "sms" if kind == "phone" else "email"
    codes.send_code(db, channel, value, text, code, purpose="contact", contract_id=contract_id)
    return row


def confirm_contact(db: Session, contract_id: int, confirmation_id: int, code: str, now: datetime | None = None) -> str:
    """Bind the pending contact when the code is right; returns the bound value."""
    now = now or utcnow()
    row = db.get(ContactConfirmation, confirmation_id)
    if row is None or row.contract_id != contract_id or row.used_at is not None:
        raise FieldError("code", "запрос на изменение не найден — начните заново")
    if row.attempts >= ATTEMPTS:
        raise FieldError("code", "три неверных ввода — запросите новый код")
    if row.expires_at <= now:
        raise FieldError("code", "срок действия кода истёк — запросите новый код")
    salt, digest = row.code_hash.split(":", 1)
    if not hmac.compare_digest(digest, _hash(salt, code.strip())):
        row.attempts += 1
        db.flush()
        raise FieldError("code", f"неверный код; осталось попыток: {ATTEMPTS - row.attempts}")
    row.used_at = now
    if row.kind == "phone":
        db.add(ContractPhone(contract_id=contract_id, phone=row.value))
    else:
        db.add(ContractEmail(contract_id=contract_id, email=row.value))
    db.flush()
    return row.value


def remove_phone(db: Session, contract_id: int, phone_id: int) -> None:
    phones = phones_of(db, contract_id)
    target = next((p for p in phones if p.id == phone_id), None)
    if target is None:
        raise FieldError("phone", "такого телефона у договора нет")
    if len(phones) == 1:
        raise FieldError("phone", "нельзя удалить единственный телефон: на него приходят коды восстановления")
    db.delete(target)


def remove_email(db: Session, contract_id: int, email_id: int) -> None:
    target = next((e for e in emails_of(db, contract_id) if e.id == email_id), None)
    if target is None:
        raise FieldError("email", "такой почты у договора нет")
    db.delete(target)
