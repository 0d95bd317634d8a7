"""Password recovery (seed 001): contract number -> one of its phones -> SMS code -> new password.

Rules: a 6-digit code, valid 5 minutes, 3 attempts; a new code at most every 60 s and at most 3 per
recovery, and at most 5 recovery SMS per contract an hour; at most 10 starts per client address and per
contract number an hour. The flow token the browser holds and the code are stored hashed (the SMS outbox
masks the code). Success ends every session of the contract. Codes go only to phones already bound to the
contract, so recovery cannot be steered to a new phone.
"""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.auth import throttle
from portal.auth.passwords import new_token, token_hash
from portal.cabinet.contacts_format import mask_phone
from portal.cabinet.contracts import find_contract, phones_of, set_password
from portal.cabinet.errors import FieldError
from portal.models import Contract, ContractPhone, RecoveryRequest, utcnow
from portal.notify import codes

CODE_TTL = timedelta(minutes=5)
CODE_ATTEMPTS = 3
RESEND_AFTER = timedelta(seconds=60)
SENDS_PER_FLOW = 3
SENDS_PER_CONTRACT_HOUR = 5
FLOW_TTL = timedelta(minutes=30)
# Starts per client address and per contract number, in the login throttle's store (its rows, its workers):
# step 2 shows a contract's masked phones, so step 1 must not be a free oracle for contract numbers.
START_LIMITS = throttle.Limits(per_ip=10, per_contract=10, window=timedelta(hours=1), lock=timedelta(hours=1))
# One answer for an unknown number, a closed contract and one without phones: which is which is not public.
UNAVAILABLE = (
    "по этому номеру восстановить пароль по SMS нельзя — проверьте номер договора; "
    "если он верный, обратитесь в офис или службу поддержки"
)


def _code_hash(req: RecoveryRequest, code: str) -> str:
    # Salted with the flow: the same code in two flows hashes differently.
    return hmac.new(req.token_hash.encode(), code.encode(), hashlib.sha256).hexdigest()


def start(db: Session, number: str, ip: str = "", now: datetime | None = None) -> tuple[str, RecoveryRequest]:
    """Step 1: the contract number. Returns the flow token for the browser."""
    now = now or utcnow()
    number = number.strip()[:32]
    if not number:
        raise FieldError("contract", "введите номер договора")
    keys = {"rec-ip": ip or "unknown", "rec-num": number}
    if throttle.active_lockout(db, keys, now) is not None:
        raise FieldError("contract", "слишком много попыток восстановления — попробуйте через час")
    throttle.record_failure(db, keys, START_LIMITS, now)  # every start counts, found or not
    contract = find_contract(db, number)
    if contract is None or contract.status != "active" or not phones_of(db, contract.id):
        raise FieldError("contract", UNAVAILABLE)
    token = new_token()
    req = RecoveryRequest(token_hash=token_hash(token), contract_id=contract.id, ip=ip, expires_at=now + FLOW_TTL)
    db.add(req)
    db.flush()
    return token, req


def load(db: Session, token: str | None, now: datetime | None = None) -> RecoveryRequest | None:
    """The live flow behind a browser's token (None when unknown, finished or stale)."""
    if not token:
        return None
    req = db.scalar(select(RecoveryRequest).where(RecoveryRequest.token_hash == token_hash(token)))
    if req is None or req.completed_at is not None or req.expires_at <= (now or utcnow()):
        return None
    return req


def masked_phones(db: Session, req: RecoveryRequest) -> list[tuple[int, str]]:
    """Step 2 shows these: (phone id, masked number)."""
    return [(p.id, mask_phone(p.phone)) for p in phones_of(db, req.contract_id)]


def _recent_sends(db: Session, contract_id: int, now: datetime) -> int:
    query = select(func.coalesce(func.sum(RecoveryRequest.sends), 0)).where(
        RecoveryRequest.contract_id == contract_id, RecoveryRequest.last_sent_at > now - timedelta(hours=1)
    )
    return int(db.scalar(query) or 0)


TEXTS = {
    "recovery": (
        "Дозор: код восстановления пароля {code}. Действует 5 минут. Договор {number}. Никому не сообщайте код."
    ),
    "step_up": "Дозор: код подтверждения владельца договора {number}: {code}. Действует 5 минут. Никому не сообщайте.",
}


def send_code(
    db: Session,
    req: RecoveryRequest,
    phone_id: int | None,
    now: datetime | None = None,
    purpose: str = "recovery",
) -> None:
    """Step 2 -> 3: a fresh code to the chosen phone (also used for «отправить ещё раз» with phone_id=None).
    `purpose` "step_up": the same flow proves a transparent session's owner (portal.cabinet.step_up)."""
    now = now or utcnow()
    phone_id = phone_id if phone_id is not None else req.phone_id
    phone = db.get(ContractPhone, phone_id) if phone_id is not None else None
    if phone is None or phone.contract_id != req.contract_id:
        raise FieldError("phone", "этот телефон не привязан к договору — выберите номер из списка")
    if req.verified_at is not None:
        raise FieldError("phone", "код уже подтверждён — задайте новый пароль")
    if req.last_sent_at is not None and now - req.last_sent_at < RESEND_AFTER:
        wait = int((RESEND_AFTER - (now - req.last_sent_at)).total_seconds()) + 1
        raise FieldError("phone", f"новый код можно запросить через {wait} с")
    if req.sends >= SENDS_PER_FLOW or _recent_sends(db, req.contract_id, now) >= SENDS_PER_CONTRACT_HOUR:
        raise FieldError("phone", "лимит SMS исчерпан — попробуйте через час или обратитесь в поддержку")
    code = f"{secrets.randbelow(10**6):06d}"
    req.phone_id, req.code_hash, req.code_expires_at = phone.id, _code_hash(req, code), now + CODE_TTL
    req.attempts, req.sends, req.last_sent_at = 0, req.sends + 1, now
    number = db.scalar(select(Contract.number).where(Contract.id == req.contract_id))
    text = TEXTS[purpose].format(code=code, number=number)
    codes.send_code(db, "sms", phone.phone, text, code, purpose=purpose, contract_id=req.contract_id)
    db.flush()


def verify_code(db: Session, req: RecoveryRequest, code: str, now: datetime | None = None) -> None:
    """Step 3: the code from the SMS. Raises FieldError('code', why) and counts the attempt."""
    now = now or utcnow()
    code = code.strip()
    if not req.code_hash:
        raise FieldError("code", "код ещё не отправлен — выберите телефон")
    if req.verified_at is not None:
        raise FieldError("code", "этот код уже использован")
    if req.attempts >= CODE_ATTEMPTS:
        raise FieldError("code", "три неверных ввода — запросите новый код")
    if req.code_expires_at is None or req.code_expires_at <= now:
        raise FieldError("code", "срок действия кода истёк — запросите новый код")
    if len(code) != 6 or not code.isdigit():
        raise FieldError("code", "код — это 6 цифр из SMS")
    if not hmac.compare_digest(req.code_hash, _code_hash(req, code)):
        req.attempts += 1
        left = CODE_ATTEMPTS - req.attempts
        db.flush()
        if left == 0:
            raise FieldError("code", "неверный код; попытки исчерпаны — запросите новый код")
        raise FieldError("code", f"неверный код; осталось попыток: {left}")
    req.verified_at = now
    db.flush()


def complete(db: Session, req: RecoveryRequest, password: str, repeat: str, now: datetime | None = None) -> Contract:
    """Step 4: the new password. Ends the flow and every session of the contract."""
    if req.verified_at is None:
        raise FieldError("code", "сначала подтвердите код из SMS")
    if password != repeat:
        raise FieldError("password2", "пароли не совпадают")
    contract = db.get(Contract, req.contract_id)
    if contract is None:
        raise FieldError("contract", "договор удалён")
    set_password(db, contract, password)
    req.completed_at = now or utcnow()
    db.flush()
    return contract
