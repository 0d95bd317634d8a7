"""Who a System API request acts as: an ISP platform's credential (AdminLogin/AdminPassword), checked through the
portal's one login attempt (lockout, one argon2 check), its source network and rate, and the subscriber
(UserLogin, at UserIP) it acts for, who must be inside the credential's scope.

The request then runs as a login session of that subscriber (kind "system-api", one per credential and
contract, reused while live), so every Mobile API rule applies unchanged: the ownership rule, media access,
tariff depth, translation limits and their re-authorisation on every fetch.
"""

import ipaddress
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from portal.auth import throttle
from portal.auth.login_attempt import LoginKeys, LoginLocked, attempt_login
from portal.auth.sessions import Principal, live_session, open_session
from portal.config import PortalSettings
from portal.forpost import errors
from portal.forpost.errors import ForpostError
from portal.forpost.params import Params
from portal.models import Contract, LoginSession
from portal.models.forpost_system import SystemOperator, SystemScope, SystemSession, SystemUse

KIND = "system-api"
SESSION_LIFETIME = timedelta(days=1)
RENEW_BEFORE = timedelta(hours=2)  # a session this close to its end is replaced, so URLs issued now stay valid
ACCOUNT_PREFIX = "sys:"  # the throttle's account key: never the same as a contract number or "op:" login


class CredentialRefused(ForpostError):
    """Wrong or locked credential: the throttle's counts must be committed although the call is refused."""


def authenticate(db: Session, settings: PortalSettings, params: Params, client_ip: str) -> SystemOperator:
    login = params.text("AdminLogin", 64)
    password = params.text("AdminPassword", 200)
    try:
        operator = attempt_login(
            db,
            throttle.limits_from(settings),
            LoginKeys(ip=client_ip, account=ACCOUNT_PREFIX + login),
            password,
            find=lambda: db.scalar(select(SystemOperator).where(SystemOperator.login == login)),
            hash_of=lambda op: op.password_hash,
        )
    except LoginLocked:
        raise CredentialRefused(errors.FORBIDDEN, "Вход заблокирован") from None
    if operator is None:
        raise CredentialRefused(errors.FORBIDDEN, "Неверный логин или пароль администратора")
    if not operator.active:
        raise errors.forbidden("Учётная запись администратора отключена")
    if not ip_allowed(operator.allowed_ips, client_ip):
        raise errors.forbidden("Запросы с этого адреса не разрешены")
    return operator


def ip_allowed(networks: str, client_ip: str) -> bool:
    if not networks.strip():
        return True
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(n, strict=False) for n in parse_networks(networks))


def parse_networks(text: str) -> list[str]:
    """Comma/space separated networks; ValueError naming the first bad one."""
    out = []
    for item in text.replace(",", " ").split():
        try:
            out.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ValueError(f"allowed_ips: {item!r} is not an IP address or network") from None
    return out


def check_rate(db: Session, operator: SystemOperator, now: datetime) -> None:
    """At most ``rate_per_minute`` requests in any 60 s (counted from the use log, shared by all workers)."""
    used = db.scalar(
        select(func.count())
        .select_from(SystemUse)
        .where(SystemUse.system_operator_id == operator.id, SystemUse.at > now - timedelta(seconds=60))
    )
    if (used or 0) >= operator.rate_per_minute:
        raise errors.unknown("Превышен лимит запросов в минуту")


def acting_for(db: Session, operator: SystemOperator, params: Params) -> tuple[Contract, str]:
    """The subscriber (UserLogin = contract number) and UserIP the request acts for, checked against the scope."""
    number = params.text("UserLogin", 32)
    user_ip = params.optional_text("UserIP", max_len=64)
    if user_ip:
        try:
            ipaddress.ip_address(user_ip)
        except ValueError:
            raise errors.bad_value("UserIP") from None
    contract = db.scalar(select(Contract).where(Contract.number == number))
    if contract is None or not in_scope(db, operator.id, contract):
        raise errors.forbidden("Абонент вне области доступа администратора")  # unknown and foreign answer alike
    return contract, user_ip


def in_scope(db: Session, operator_id: int, contract: Contract) -> bool:
    match = or_(
        (SystemScope.kind == "contract") & (SystemScope.contract_id == contract.id),
        (SystemScope.kind == "address") & (SystemScope.address_id == contract.address_id),
    )
    found = db.scalar(select(SystemScope.id).where(SystemScope.system_operator_id == operator_id, match).limit(1))
    return found is not None


def principal_for(db: Session, operator: SystemOperator, contract: Contract, user_ip: str, now: datetime) -> Principal:
    """The live system-api session of this credential for this contract, opened when there is none."""
    rows = db.execute(
        select(LoginSession)
        .join(SystemSession, SystemSession.login_session_id == LoginSession.id)
        .where(
            SystemSession.system_operator_id == operator.id,
            SystemSession.contract_id == contract.id,
            LoginSession.revoked.is_(False),
            LoginSession.expires_at > now + RENEW_BEFORE,
        )
        .order_by(LoginSession.expires_at.desc())
        .limit(1)
    ).scalars()
    row = next(iter(rows), None)
    if row is None:
        _token, row = open_session(
            db, contract=contract, lifetime=SESSION_LIFETIME, kind=KIND, ip=user_ip, user_agent=operator.login
        )
        db.add(SystemSession(login_session_id=row.id, system_operator_id=operator.id, contract_id=contract.id))
        db.flush()
    who = live_session(db, row.id, now)
    if who is None:  # the contract is not active
        raise errors.forbidden("Учётная запись абонента отключена")
    return who


def revoke_sessions(db: Session, operator_id: int) -> int:
    """End every session of a credential (disabled, password or scope changed): their URLs die with them."""
    ids = select(SystemSession.login_session_id).where(SystemSession.system_operator_id == operator_id)
    count = 0
    for row in db.scalars(select(LoginSession).where(LoginSession.id.in_(ids), LoginSession.revoked.is_(False))):
        row.revoked = True
        count += 1
    return count
