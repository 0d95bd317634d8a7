"""Provisioning of addresses (entrances) and contracts, and the operator's changes to them.

These are the functions the operator console, the CLI, the demo and the end-to-end tests call.
"""

import re
import secrets
from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.auth.passwords import hash_password
from portal.cabinet.contacts_format import normalize_email, normalize_phone
from portal.cabinet.errors import FieldError
from portal.cabinet.password_rules import check_password_strength
from portal.models import Address, Contract, ContractEmail, ContractPhone, LoginSession
from portal.models.accounts import CONTRACT_STATUSES

STATUS_NAMES = {"active": "активен", "disabled": "отключён", "blocked": "вход заблокирован"}
_NUMBER = re.compile(r"^[0-9A-Za-z-]{1,32}$")


def create_address(db: Session, city: str, street: str, house: str, entrance: int = 1) -> Address:
    """The entrance's address; returns the existing row when it is already known."""
    city, street, house = city.strip(), street.strip(), house.strip()
    for field, value in (("city", city), ("street", street), ("house", house)):
        if not value:
            raise FieldError(field, "обязательное поле")
    if not 1 <= int(entrance) <= 99:
        raise FieldError("entrance", "номер подъезда должен быть от 1 до 99")
    existing = db.scalar(
        select(Address).where(
            Address.city == city, Address.street == street, Address.house == house, Address.entrance == entrance
        )
    )
    if existing is not None:
        return existing
    address = Address(city=city, street=street, house=house, entrance=int(entrance))
    db.add(address)
    db.flush()
    return address


def create_contract(
    db: Session,
    number: str,
    password: str,
    address_id: int | None = None,
    flat: str = "",
    phones: Iterable[str] = (),
    emails: Iterable[str] = (),
    *,
    name: str = "",
    tz: str = "Asia/Novokuznetsk",
    status: str = "active",
) -> Contract:
    number = number.strip()
    if not _NUMBER.match(number):
        raise FieldError("number", "номер договора — от 1 до 32 латинских букв, цифр или дефисов")
    if db.scalar(select(Contract.id).where(Contract.number == number)) is not None:
        raise FieldError("number", f"договор {number} уже существует")
    if address_id is not None and db.get(Address, address_id) is None:
        raise FieldError("address_id", f"адреса {address_id} нет")
    if status not in CONTRACT_STATUSES:
        raise FieldError("status", f"статус должен быть одним из: {', '.join(CONTRACT_STATUSES)}")
    check_password_strength(password, contract_number=number)
    phone_values = sorted({normalize_phone(p, "phones") for p in phones})
    email_values = sorted({normalize_email(e, "emails") for e in emails})
    contract = Contract(
        number=number,
        password_hash=hash_password(password),
        status=status,
        name=name.strip(),
        tz=tz,
        address_id=address_id,
        flat=flat.strip(),
    )
    db.add(contract)
    db.flush()
    db.add_all(ContractPhone(contract_id=contract.id, phone=p) for p in phone_values)
    db.add_all(ContractEmail(contract_id=contract.id, email=e) for e in email_values)
    db.flush()
    return contract


def list_contracts(db: Session, number_part: str = "", limit: int = 200) -> list[Contract]:
    """The operator console's contract list: by number, optionally those whose number contains ``number_part``."""
    query = select(Contract).order_by(Contract.number).limit(limit)
    if number_part.strip():
        query = query.where(Contract.number.contains(number_part.strip()))
    return list(db.scalars(query).unique())


def contract_tz(db: Session, contract_id: int) -> str:
    """The display time zone the subscriber chose (UTC for a contract that is gone)."""
    contract = db.get(Contract, contract_id)
    return contract.tz if contract else "UTC"


def find_contract(db: Session, number: str) -> Contract | None:
    return db.scalar(select(Contract).where(Contract.number == number.strip()))


def set_password(db: Session, contract: Contract, password: str, field: str = "password") -> None:
    """New password, and every session of the contract ends (whoever knew the old one is out)."""
    check_password_strength(password, contract_number=contract.number, field=field)
    contract.password_hash = hash_password(password)
    revoke_all_sessions(db, contract.id)


def revoke_all_sessions(db: Session, contract_id: int) -> None:
    db.execute(update(LoginSession).where(LoginSession.contract_id == contract_id).values(revoked=True))


def set_status(db: Session, contract: Contract, status: str) -> None:
    if status not in CONTRACT_STATUSES:
        raise FieldError("status", f"статус должен быть одним из: {', '.join(CONTRACT_STATUSES)}")
    contract.status = status


def bind_address(db: Session, contract: Contract, address_id: int | None, flat: str = "") -> None:
    """Move a contract to an entrance: from now on it sees that entrance's shared cameras."""
    if address_id is not None and db.get(Address, address_id) is None:
        raise FieldError("address_id", f"адреса {address_id} нет")
    contract.address_id = address_id
    contract.flat = flat.strip()


def phones_of(db: Session, contract_id: int) -> list[ContractPhone]:
    return list(db.scalars(select(ContractPhone).where(ContractPhone.contract_id == contract_id).order_by("id")))


def emails_of(db: Session, contract_id: int) -> list[ContractEmail]:
    return list(db.scalars(select(ContractEmail).where(ContractEmail.contract_id == contract_id).order_by("id")))


def generate_password() -> str:
    """A temporary password the operator reads out or prints: no look-alike characters, passes the rules."""
    alphabet = "abcdefghjkmnpqrstuvwxyz"
    digits = "23456789"
    while True:
        candidate = "".join(secrets.choice(alphabet + digits) for _ in range(10))
        if any(c in digits for c in candidate) and any(c in alphabet for c in candidate) and len(set(candidate)) > 4:
            return candidate


def reset_password(db: Session, contract: Contract) -> str:
    """Operator's reset: a new temporary password (returned once) and every session ends."""
    password = generate_password()
    set_password(db, contract, password)
    return password
