"""Subscriber login: password login with brute-force protection, and transparent login by source IP."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from portal.auth import throttle
from portal.auth.passwords import verify_password
from portal.auth.sessions import open_session
from portal.cabinet.contracts import find_contract
from portal.cabinet.ip_bindings import contract_for_ip
from portal.config import PortalSettings
from portal.models import Contract
from portal.web.templating import local_time


class LoginRefused(Exception):
    """Why a login failed, in Russian for the page, with the HTTP status the API answers."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message, self.status = message, status


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
    """The contract if number and password are right and it may log in; else LoginRefused."""
    number = number.strip()[:32]
    if not number or not password:
        raise LoginRefused("Введите номер договора и пароль", 400)
    keys = {"ip": ip or "unknown", "contract": number}
    lock = throttle.active_lockout(db, keys)
    if lock:
        raise LoginRefused(_lock_message(lock, number, settings.display_tz), 429)
    contract = find_contract(db, number)
    if contract is None or not verify_password(contract.password_hash, password):
        lock = throttle.record_failure(db, keys, throttle.limits_from(settings))
        if lock:
            raise LoginRefused(_lock_message(lock, number, settings.display_tz), 429)
        raise LoginRefused("Неверный номер договора или пароль", 401)
    throttle.record_success(db, keys)
    _check_status(contract)
    return contract


def _check_status(contract: Contract) -> None:
    if contract.status == "disabled":
        raise LoginRefused(f"Договор {contract.number} отключён. Обратитесь в офис или службу поддержки.", 403)
    if contract.status == "blocked":
        raise LoginRefused(f"Вход по договору {contract.number} заблокирован. Обратитесь в службу поддержки.", 403)


def open_login(
    db: Session, settings: PortalSettings, contract: Contract, *, remember: bool, kind: str, ip: str, user_agent: str
) -> Opened:
    days = settings.remember_days if remember else settings.session_days
    token, _ = open_session(
        db, contract=contract, lifetime=timedelta(days=days), kind=kind, ip=ip, user_agent=user_agent
    )
    return Opened(contract, token, days, remember)


def transparent_contract(db: Session, settings: PortalSettings, ip: str) -> Contract | None:
    """The active contract bound to the caller's address, when transparent login is on."""
    if not settings.transparent_login or not ip:
        return None
    contract = contract_for_ip(db, ip)
    return contract if contract is not None and contract.status == "active" else None
