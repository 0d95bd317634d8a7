"""Paying needs a password login: a transparent (IP-only) session proves only where a request comes from,
not who is at the keyboard. The one place to swap for the shared guard once branch `access` lands."""

from typing import Annotated

from fastapi import Depends, HTTPException
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.auth.sessions import Principal
from portal.deps import DB, Subscriber
from portal.models import LoginSession

PASSWORD_REQUIRED = "Для оплаты войдите по номеру договора и паролю (вход по IP-адресу не позволяет платить)"


def is_password_session(db: Session, who: Principal) -> bool:
    flag = getattr(who, "password_authenticated", None)  # branch `access`'s Principal knows it: use that once merged
    if flag is not None:
        return bool(flag)
    kind = db.scalar(select(LoginSession.kind).where(LoginSession.id == who.session_id))
    return kind is not None and kind != "transparent"


def require_password_session(who: Subscriber, db: DB) -> Principal:
    """API dependency: the subscriber, logged in with a password (403 otherwise)."""
    if not is_password_session(db, who):
        raise HTTPException(403, f"session: {PASSWORD_REQUIRED}")
    return who


PasswordSubscriber = Annotated[Principal, Depends(require_password_session)]
