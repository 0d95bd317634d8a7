"""Requests from visitors who need not be logged in: call-back, feedback (seed 001), "connect me".

Spam protection needs no outside service: a honeypot field real people never see (filled → pretend
success, store nothing), and counters per client IP and per phone in the login throttle's table, so every
portal worker sees the same counts.
"""

import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from portal.auth import throttle
from portal.support.errors import SupportError
from portal.support.tickets import clean_text, normal_phone, open_ticket

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
WINDOW = timedelta(hours=1)


@dataclass
class VisitorRequest:
    kind: str  # callback | feedback | connect
    phone: str = ""
    name: str = ""
    email: str = ""
    question: str = ""
    preferred_time: str = ""
    honeypot: str = ""


class RateLimited(SupportError):
    def __init__(self, field: str) -> None:
        super().__init__(field, "слишком много заявок, попробуйте через час", 429)


def _check(req: VisitorRequest) -> VisitorRequest:
    phone = normal_phone(req.phone)
    name = clean_text(req.name, "name", 200, req.kind == "feedback")
    email = clean_text(req.email, "email", 254, False)
    if email and not _EMAIL.match(email):
        raise SupportError("email", "адрес почты вида name@example.ru")
    question = clean_text(req.question, "question", 5000, req.kind == "feedback")
    when = clean_text(req.preferred_time, "preferred_time", 100, False)
    return VisitorRequest(req.kind, phone, name, email, question, when)


def submit(db: Session, settings, req: VisitorRequest, ip: str):
    """The ticket it became, or None for a honeypot hit. Raises SupportError / RateLimited."""
    if req.kind not in ("callback", "feedback", "connect"):
        raise SupportError("kind", "неизвестный вид заявки")
    checked = _check(req)
    if req.honeypot.strip():
        return None
    keys = {"sup_ip": ip or "-", "sup_ph": checked.phone}
    locked = throttle.active_lockout(db, keys)
    if locked:
        raise RateLimited("phone" if locked.scope == "sup_ph" else "ip")
    limits = throttle.Limits(
        per_ip=settings.support_requests_per_ip,
        per_contract=settings.support_requests_per_phone,
        window=WINDOW,
        lock=WINDOW,
    )
    # Every request counts; the one that reaches the limit still passes, the next is refused.
    _count(db, keys, limits)
    titles = {"callback": "Заказан обратный звонок", "feedback": "Обратная связь", "connect": "Заявка на подключение"}
    text = checked.question or titles[req.kind]
    if checked.preferred_time:
        text += f"\nУдобное время: {checked.preferred_time}"
    return open_ticket(
        db,
        None,
        kind=req.kind,
        first_text=text,
        uploads=[],
        author="visitor",
        topic_code="other",
        name=checked.name,
        phone=checked.phone,
        email=checked.email,
        preferred_time=checked.preferred_time,
        ip=ip[:64],
    )


def _count(db: Session, keys: dict[str, str], limits: throttle.Limits) -> None:
    # throttle.record_failure picks its limit by scope == "ip"; give each of our scopes its own limit.
    for scope, key in keys.items():
        per = limits.per_ip if scope == "sup_ip" else limits.per_contract
        throttle.record_failure(db, {scope: key}, throttle.Limits(per, per, limits.window, limits.lock))
