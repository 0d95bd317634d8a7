"""Login sessions: create, resolve a bearer token or cookie to a principal, revoke."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import metrics
from portal.auth.passwords import new_token, token_hash
from portal.models import Contract, LoginSession, Operator, utcnow

SESSION_COOKIE = "dozor_session"
# How a session was authenticated. An "ip" session (transparent login from a bound ISP address) proves only
# that the caller sits on the subscriber's network: it may watch, but not take the account over (see
# portal.deps.PasswordSubscriber).
AUTH_PASSWORD = "password"
AUTH_CODE = "code"  # an IP session stepped up with a code sent to a phone already bound to the contract
AUTH_IP = "ip"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a subscriber's contract or an operator, and the session they came with."""

    session_id: int
    contract_id: int | None = None
    operator_id: int | None = None
    auth: str = AUTH_PASSWORD  # password | code | ip

    @property
    def is_operator(self) -> bool:
        return self.operator_id is not None

    @property
    def password_authenticated(self) -> bool:
        """The owner proved it: the contract's password, or a code sent to a phone already bound to it
        (anything but a transparent login by network address)."""
        return self.auth in (AUTH_PASSWORD, AUTH_CODE)


def open_session(
    db: Session,
    *,
    contract: Contract | None = None,
    operator: Operator | None = None,
    lifetime: timedelta,
    kind: str = "web",
    ip: str = "",
    user_agent: str = "",
    auth: str = AUTH_PASSWORD,
) -> tuple[str, LoginSession]:
    """Store a new session and return its bearer token (shown once, stored hashed)."""
    token = new_token()
    now = utcnow()
    row = LoginSession(
        token_hash=token_hash(token),
        contract_id=contract.id if contract else None,
        operator_id=operator.id if operator else None,
        kind=kind,
        auth=auth,
        ip=ip,
        user_agent=user_agent[:300],
        created_at=now,
        last_seen=now,
        expires_at=now + lifetime,
    )
    db.add(row)
    db.flush()
    metrics.login_ok(kind if contract is not None else "operator")
    return token, row


def resolve(db: Session, token: str, now: datetime | None = None) -> Principal | None:
    """The principal behind a token, or None when unknown, revoked, expired or the contract is disabled."""
    now = now or utcnow()
    row = db.scalar(select(LoginSession).where(LoginSession.token_hash == token_hash(token)))
    if row is None or row.revoked or row.expires_at <= now:
        return None
    if row.contract_id is not None:
        status = db.scalar(select(Contract.status).where(Contract.id == row.contract_id))
        if status != "active":
            return None
    if (now - row.last_seen).total_seconds() > 60:  # throttle writes: one touch a minute
        row.last_seen = now
    return Principal(session_id=row.id, contract_id=row.contract_id, operator_id=row.operator_id, auth=row.auth)


def live_session(db: Session, session_id: int, now: datetime | None = None) -> Principal | None:
    """The principal of a session by its id while it is live (not revoked, not expired, contract active):
    what signed media tokens and translations are re-checked against on every request."""
    now = now or utcnow()
    row = db.get(LoginSession, session_id)
    if row is None or row.revoked or row.expires_at <= now:
        return None
    if row.contract_id is not None:
        status = db.scalar(select(Contract.status).where(Contract.id == row.contract_id))
        if status != "active":
            return None
    return Principal(session_id=row.id, contract_id=row.contract_id, operator_id=row.operator_id)


def revoke(db: Session, session_id: int) -> None:
    row = db.get(LoginSession, session_id)
    if row is not None:
        row.revoked = True
