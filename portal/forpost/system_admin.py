"""Console side of System API credentials: create one (login, password, scope of addresses and contracts, rate,
source networks), enable/disable it, and read the use log. Changing a credential ends its sessions."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.auth.passwords import hash_password
from portal.forpost import system_auth
from portal.models import Address, Contract
from portal.models.forpost_system import SystemOperator, SystemScope, SystemUse

MIN_PASSWORD = 12


class CredentialError(ValueError):
    """A field of the form is wrong: ``field`` and the reason."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field


@dataclass(frozen=True)
class NewCredential:
    login: str
    password: str
    name: str
    rate_per_minute: int
    allowed_ips: str
    address_ids: list[int]
    contract_numbers: list[str]


def create(db: Session, form: NewCredential, created_by: int | None) -> SystemOperator:
    login = form.login.strip()
    if not login or len(login) > 64 or not login.isprintable() or " " in login:
        raise CredentialError("login", "1 to 64 printable characters without spaces")
    if db.scalar(select(SystemOperator.id).where(SystemOperator.login == login)) is not None:
        raise CredentialError("login", "already taken")
    if len(form.password) < MIN_PASSWORD:
        raise CredentialError("password", f"at least {MIN_PASSWORD} characters")
    if not 1 <= form.rate_per_minute <= 10000:
        raise CredentialError("rate_per_minute", "between 1 and 10000")
    try:
        networks = " ".join(system_auth.parse_networks(form.allowed_ips))
    except ValueError as exc:
        raise CredentialError("allowed_ips", str(exc).split(": ", 1)[1]) from None
    addresses = [a for a in form.address_ids if db.get(Address, a) is not None]
    if len(addresses) != len(form.address_ids):
        raise CredentialError("address_ids", "unknown address")
    contracts = []
    for number in form.contract_numbers:
        contract = db.scalar(select(Contract).where(Contract.number == number))
        if contract is None:
            raise CredentialError("contracts", f"no contract {number!r}")
        contracts.append(contract)
    if not addresses and not contracts:
        raise CredentialError("scope", "choose at least one address or contract")
    operator = SystemOperator(
        login=login,
        password_hash=hash_password(form.password),
        name=form.name.strip()[:200],
        rate_per_minute=form.rate_per_minute,
        allowed_ips=networks,
        created_by=created_by,
    )
    db.add(operator)
    db.flush()
    db.add_all(SystemScope(system_operator_id=operator.id, kind="address", address_id=a) for a in addresses)
    db.add_all(SystemScope(system_operator_id=operator.id, kind="contract", contract_id=c.id) for c in contracts)
    return operator


def set_active(db: Session, operator_id: int, active: bool) -> SystemOperator | None:
    operator = db.get(SystemOperator, operator_id)
    if operator is not None:
        operator.active = active
        if not active:
            system_auth.revoke_sessions(db, operator.id)  # its translations and downloads end at once
    return operator


def scope_labels(db: Session, operator_id: int) -> list[str]:
    out = []
    for scope in db.scalars(select(SystemScope).where(SystemScope.system_operator_id == operator_id)):
        if scope.kind == "address" and scope.address_id is not None:
            address = db.get(Address, scope.address_id)
            out.append(f"{address.full} п.{address.entrance}" if address else f"адрес {scope.address_id}")
        elif scope.contract_id is not None:
            contract = db.get(Contract, scope.contract_id)
            out.append(f"договор {contract.number}" if contract else f"договор #{scope.contract_id}")
    return out


def recent_uses(db: Session, limit: int = 200) -> list[SystemUse]:
    return list(db.scalars(select(SystemUse).order_by(SystemUse.at.desc(), SystemUse.id.desc()).limit(limit)))
