"""A subscriber's own login sessions: list them, end one."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.cabinet.errors import FieldError
from portal.models import LoginSession, utcnow

KIND_NAMES = {"web": "браузер", "api": "API", "forpost": "приложение", "transparent": "вход из сети провайдера"}


def active_sessions(db: Session, contract_id: int) -> list[LoginSession]:
    query = (
        select(LoginSession)
        .where(LoginSession.contract_id == contract_id, LoginSession.revoked.is_(False))
        .where(LoginSession.expires_at > utcnow())
        .order_by(LoginSession.last_seen.desc())
    )
    return list(db.scalars(query))


def revoke_own(db: Session, contract_id: int, session_id: int) -> None:
    """Only the contract's own sessions; another's id is reported as unknown, not as someone else's."""
    row = db.get(LoginSession, session_id)
    if row is None or row.contract_id != contract_id:
        raise FieldError("session", "такого сеанса нет")
    row.revoked = True
