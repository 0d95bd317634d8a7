"""Step-up of a transparent (IP-only) session by a code sent to a phone already bound to the contract — the
alternative to entering the password (portal.cabinet.login.step_up).

It reuses the recovery flow's rows and rules (RecoveryRequest: the code stored hashed, 5 minutes, 3 attempts,
resend limits, SMS per contract an hour, starts per address) but ends in a `code` session, never in a password
change: the flow is closed the moment its code is accepted.
"""

from sqlalchemy.orm import Session

from portal.auth.sessions import AUTH_CODE
from portal.cabinet import recovery
from portal.cabinet.errors import FieldError
from portal.cabinet.login import Opened, open_login
from portal.config import PortalSettings
from portal.models import Contract, utcnow


def send_step_up_code(db: Session, contract_id: int, phone_id: int, ip: str) -> str:
    """A code to one of the contract's bound phones; returns the flow token the browser keeps."""
    contract = db.get(Contract, contract_id)
    token, req = recovery.start(db, contract.number if contract else "", ip=ip)
    recovery.send_code(db, req, phone_id, purpose="step_up")
    return token


def confirm_step_up_code(
    db: Session, settings: PortalSettings, contract_id: int, token: str | None, code: str, *, ip: str, user_agent: str
) -> Opened:
    """The right code opens a `code` session for the contract (the caller revokes the IP-only one)."""
    req = recovery.load(db, token)
    if req is None or req.contract_id != contract_id or req.code_hash == "":
        raise FieldError("code", "запрос кода устарел — отправьте код ещё раз")
    recovery.verify_code(db, req, code)
    req.completed_at = utcnow()  # this flow can never set a password
    contract = db.get(Contract, contract_id)
    if contract is None:
        raise FieldError("code", "договор не найден")
    return open_login(db, settings, contract, remember=False, kind="web", ip=ip, user_agent=user_agent, auth=AUTH_CODE)
