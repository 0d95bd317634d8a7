"""Putting notifications into the one outbox: per contract through its subscriptions, or to one address.

Quiet hours are applied here: a non-urgent message enqueued during the contract's night (in the contract's own
zone, `Contract.tz`) gets `next_attempt_at` = the end of that night, so the worker simply does not see it yet.
"""

import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Contract, ContractEmail, ContractPhone, utcnow
from portal.models.forpost import PushToken
from portal.models.notify import NotifyMessage
from portal.notify import subscriptions, unsubscribe
from portal.notify.categories import URGENT

MASK = "••••••"


@dataclass(frozen=True)
class Policy:
    """What enqueueing needs from the settings: quiet hours and how unsubscribe links are made."""

    quiet_start: int = 22  # local hour the night starts
    quiet_end: int = 8  # local hour it ends
    public_url: str = "http://127.0.0.1:8000"
    secret: str = "dev-insecure-change-me"

    @classmethod
    def from_settings(cls, settings) -> "Policy":
        return cls(settings.notify_quiet_start, settings.notify_quiet_end, settings.public_url, settings.secret_key)


def quiet_until(policy: Policy, zone: str, now: datetime) -> datetime | None:
    """The UTC moment the contract's night ends, if `now` is inside it; None by day."""
    try:
        tz = ZoneInfo(zone)
    except (KeyError, ValueError):
        tz = ZoneInfo("UTC")
    local = now.astimezone(tz)
    start, end = policy.quiet_start, policy.quiet_end
    if start == end:
        return None
    in_night = (local.hour >= start or local.hour < end) if start > end else (start <= local.hour < end)
    if not in_night:
        return None
    day = local.date() if local.hour < end else local.date() + timedelta(days=1)
    return datetime.combine(day, time(end), tzinfo=tz).astimezone(now.tzinfo)


def enqueue(
    db: Session,
    channel: str,
    recipient: str,
    text: str,
    *,
    subject: str = "",
    category: str = "",
    contract_id: int | None = None,
    notice_id: int | None = None,
    push_token_id: int | None = None,
    data: dict | None = None,
    urgent: bool = False,
    secret: str = "",
    not_before: datetime | None = None,
) -> NotifyMessage:
    """One row. A `secret` (a code) is masked in `text`; the full text waits in `body` until handed over."""
    row = NotifyMessage(
        channel=channel,
        recipient=recipient,
        text=text.replace(secret, MASK) if secret else text,
        body=text if secret else None,
        subject=subject,
        category=category,
        contract_id=contract_id,
        notice_id=notice_id,
        push_token_id=push_token_id,
        data=json.dumps(data or {}, ensure_ascii=False),
        urgent=urgent,
        next_attempt_at=not_before or utcnow(),
    )
    db.add(row)
    return row


def notify(
    db: Session,
    policy: Policy,
    contract: Contract,
    category: str,
    title: str,
    text: str,
    *,
    data: dict | None = None,
    link: str = "",
    urgent: bool | None = None,
    notice_id: int | None = None,
    now: datetime | None = None,
) -> list[NotifyMessage]:
    """Fan one event out to the channels the contract chose for `category`; returns the rows queued."""
    now = now or utcnow()
    urgent = category in URGENT if urgent is None else urgent
    later = (None if urgent else quiet_until(policy, contract.tz, now)) or now
    common: dict[str, Any] = dict(
        category=category, contract_id=contract.id, notice_id=notice_id, urgent=urgent, not_before=later
    )
    rows: list[NotifyMessage] = []
    for channel in subscriptions.channels_for(db, contract.id, category):
        if channel == "email":
            email = db.scalar(select(ContractEmail.email).where(ContractEmail.contract_id == contract.id).limit(1))
            if email:
                off = unsubscribe.link(policy.public_url, policy.secret, contract.id, category)
                body = f"{text}\n\n{link}\n" if link else f"{text}\n"
                body += f"\nОтписаться от этой рассылки: {off}\n"
                rows.append(enqueue(db, "email", email, body, subject=title, data={"unsubscribe": off}, **common))
        elif channel == "sms":
            phone = db.scalar(select(ContractPhone.phone).where(ContractPhone.contract_id == contract.id).limit(1))
            if phone:
                rows.append(enqueue(db, "sms", phone, f"Дозор: {title}. {text}"[:480], **common))
        elif channel == "push":
            for token in db.scalars(select(PushToken).where(PushToken.contract_id == contract.id)):
                rows.append(
                    enqueue(
                        db, "push", token.device_token, text, subject=title, push_token_id=token.id,
                        data=data or {}, **common,
                    )
                )  # fmt: skip
    db.flush()
    return rows


def recent(db: Session, limit: int = 200, contract_id: int | None = None, notice_id: int | None = None):
    query = select(NotifyMessage).order_by(NotifyMessage.id.desc()).limit(limit)
    if contract_id is not None:
        query = query.where(NotifyMessage.contract_id == contract_id)
    if notice_id is not None:
        query = query.where(NotifyMessage.notice_id == notice_id)
    return list(db.scalars(query))
