"""Forpost sessions: LoginSession rows of kind "forpost", optionally bound to the client IP."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.auth.passwords import token_hash
from portal.auth.sessions import Principal, open_session
from portal.cabinet.login import LoginRefused, check_password_login
from portal.config import PortalSettings
from portal.forpost import errors
from portal.forpost.errors import LoginError
from portal.models import Contract, LoginSession, utcnow
from portal.models.forpost import ForpostSession, Translation

KIND = "forpost"
# The cabinet's refusal reasons as Forpost LoginErrorCodes. An unknown contract answers like a wrong password
# (1), not 203: a distinct answer would let anyone enumerate contract numbers.
_CODES = {
    "empty": errors.LOGIN_WRONG_PASSWORD,
    "wrong": errors.LOGIN_WRONG_PASSWORD,
    "locked": errors.LOGIN_BLOCKED,
    "disabled": errors.LOGIN_DISABLED,
    "blocked": errors.LOGIN_BLOCKED,
}


@dataclass(frozen=True)
class SessionCheck:
    """The outcome of looking a SessionID up: the row, or why there is none usable."""

    row: LoginSession | None
    problem: str = ""  # "" | SESSION_MISSING | SESSION_EXPIRED | SESSION_IP_DIFFERS


def login(
    db: Session,
    settings: PortalSettings,
    number: str,
    password: str,
    *,
    ip: str,
    user_agent: str,
    lifetime: timedelta,
    bind_ip: bool,
) -> str:
    """Check the contract's credentials (the cabinet's login: same lockout, same throttle) and open a session;
    the token is the SessionID. A refusal raises LoginError; the caller keeps the failure count."""
    try:
        contract = check_password_login(db, settings, number, password, ip)
    except LoginRefused as refused:
        raise LoginError(_CODES[refused.reason]) from None
    token, row = open_session(db, contract=contract, lifetime=lifetime, kind=KIND, ip=ip, user_agent=user_agent)
    db.add(ForpostSession(login_session_id=row.id, bound_ip=ip if bind_ip else ""))
    return token


def check(db: Session, token: str, ip: str, now: datetime | None = None) -> SessionCheck:
    now = now or utcnow()
    row = (
        db.scalar(select(LoginSession).where(LoginSession.token_hash == token_hash(token), LoginSession.kind == KIND))
        if token
        else None
    )
    if row is None or row.revoked:
        return SessionCheck(None, errors.SESSION_MISSING)
    if row.expires_at <= now:
        return SessionCheck(None, errors.SESSION_EXPIRED)
    status = db.scalar(select(Contract.status).where(Contract.id == row.contract_id))
    if status != "active":
        return SessionCheck(None, errors.SESSION_MISSING)
    binding = db.get(ForpostSession, row.id)
    if binding is not None and binding.bound_ip and binding.bound_ip != ip:
        return SessionCheck(None, errors.SESSION_IP_DIFFERS)
    if (now - row.last_seen).total_seconds() > 60:  # one touch a minute is enough
        row.last_seen = now
    return SessionCheck(row)


def require_session(db: Session, token: str, ip: str) -> Principal:
    result = check(db, token, ip)
    if result.row is None:
        raise errors.session(result.problem)
    return Principal(session_id=result.row.id, contract_id=result.row.contract_id)


def login_of(db: Session, row: LoginSession) -> str:
    return db.scalar(select(Contract.number).where(Contract.id == row.contract_id)) or ""


def logout(db: Session, token: str, ip: str) -> bool:
    """Revoke the session and close its translations; False when there was no usable session."""
    result = check(db, token, ip)
    if result.row is None:
        return False
    result.row.revoked = True
    now = utcnow()
    for translation in db.scalars(
        select(Translation).where(Translation.login_session_id == result.row.id, Translation.state != "closed")
    ):
        translation.state, translation.closed_at, translation.close_reason = "closed", now, "logout"
    return True
