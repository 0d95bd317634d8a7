"""Subscriber login: password login with brute-force protection, and transparent login by source IP."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from portal.auth import throttle
from portal.auth.login_attempt import LoginKeys, LoginLocked, attempt_login
from portal.auth.sessions import AUTH_IP, AUTH_PASSWORD, open_session
from portal.cabinet.contracts import find_contract
from portal.cabinet.ip_bindings import contract_for_ip
from portal.config import PortalSettings
from portal.models import Contract
from portal.web.templating import local_time


class LoginRefused(Exception):
    """Why a login failed, in Russian for the page, with the HTTP status the API answers and a machine
    `reason` (empty | locked | wrong | disabled | blocked) that Forpost maps to its LoginErrorCode."""

    def __init__(self, message: str, status: int, reason: str) -> None:
        super().__init__(message)
        self.message, self.status, self.reason = message, status, reason


@dataclass(frozen=True)
class Opened:
    contract: Contract
    token: str
    days: int
    remember: bool


def _lock_message(lock: throttle.Lockout, number: str, tz: str) -> str:
    until = local_time(lock.until, tz, "%H:%M")
    if lock.scope == "ip":
        return f"Слишком много неудачных попыток входа с вашего адреса. Вход заблокирован до {until}."
    return f"Слишком много неудачных попыток входа. Вход по договору {number} заблокирован до {until}."


def check_password_login(db: Session, settings: PortalSettings, number: str, password: str, ip: str) -> Contract:
    """The contract if number and password are right and it may log in; else LoginRefused.

    Every subscriber password login (web form, JSON API, Forpost) comes here, and through it to the portal's
    one login attempt (portal.auth.login_attempt): lockout first, one argon2 check even for unknown numbers.
    """
    number = number.strip()[:32]
    if not number or not password:
        raise LoginRefused("Введите номер договора и пароль", 400, "empty")
    try:
        contract = attempt_login(
            db,
            throttle.limits_from(settings),
            LoginKeys(ip=ip, account=number),
            password,
            find=lambda: find_contract(db, number),
            hash_of=lambda c: c.password_hash,
        )
    except LoginLocked as locked:
        raise LoginRefused(_lock_message(locked.lock, number, settings.display_tz), 429, "locked") from None
    if contract is None:
        raise LoginRefused("Неверный номер договора или пароль", 401, "wrong")
    _check_status(contract)
    return contract


def _check_status(contract: Contract) -> None:
    if contract.status == "disabled":
        raise LoginRefused(
            f"Договор {contract.number} отключён. Обратитесь в офис или службу поддержки.", 403, "disabled"
        )
    if contract.status == "blocked":
        raise LoginRefused(
            f"Вход по договору {contract.number} заблокирован. Обратитесь в службу поддержки.", 403, "blocked"
        )


def open_login(
    db: Session,
    settings: PortalSettings,
    contract: Contract,
    *,
    remember: bool,
    kind: str,
    ip: str,
    user_agent: str,
    auth: str = "",
) -> Opened:
    days = settings.remember_days if remember else settings.session_days
    auth = auth or (AUTH_IP if kind == "transparent" else AUTH_PASSWORD)
    token, _ = open_session(
        db, contract=contract, lifetime=timedelta(days=days), kind=kind, ip=ip, user_agent=user_agent, auth=auth
    )
    return Opened(contract, token, days, remember)


def transparent_contract(db: Session, settings: PortalSettings, ip: str) -> Contract | None:
    """The active contract bound to the caller's address, when transparent login is on."""
    if not settings.transparent_login or not ip:
        return None
    contract = contract_for_ip(db, ip)
    return contract if contract is not None and contract.status == "active" else None


def step_up(
    db: Session, settings: PortalSettings, contract_id: int, password: str, *, ip: str, user_agent: str
) -> Opened:
    """A transparent session proves its owner knows the password: a password session replaces it (the caller
    revokes the old one). Same login attempt, same lockout as the login form."""
    contract = db.get(Contract, contract_id)
    found = check_password_login(db, settings, contract.number if contract else "", password, ip)
    return open_login(db, settings, found, remember=False, kind="web", ip=ip, user_agent=user_agent)
