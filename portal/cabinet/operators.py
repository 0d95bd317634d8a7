"""ISP staff accounts for the operator console."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.auth import throttle
from portal.auth.login_attempt import LoginKeys, attempt_login
from portal.auth.passwords import hash_password
from portal.cabinet.errors import FieldError
from portal.cabinet.password_rules import check_password_strength
from portal.models import Operator


def create_operator(db: Session, login: str, password: str, name: str = "") -> Operator:
    login = login.strip()
    if not login or len(login) > 64:
        raise FieldError("login", "логин должен быть от 1 до 64 символов")
    if db.scalar(select(Operator).where(Operator.login == login)) is not None:
        raise FieldError("login", f"оператор «{login}» уже есть")
    check_password_strength(password)
    operator = Operator(login=login, password_hash=hash_password(password), name=name)
    db.add(operator)
    db.flush()
    return operator


def authenticate_operator(db: Session, settings, login: str, password: str, ip: str) -> Operator | None:
    """The operator when login and password are right, else None (failure counted against the IP and
    "op:<login>"); LoginLocked while locked. The same login attempt as the subscribers' logins."""
    login = login.strip()[:60]
    return attempt_login(
        db,
        throttle.limits_from(settings),
        LoginKeys(ip=ip, account="op:" + login),
        password,
        find=lambda: db.scalar(select(Operator).where(Operator.login == login)) if login else None,
        hash_of=lambda op: op.password_hash,
    )


def operator_login(db: Session, operator_id: int | None) -> str:
    """The login of a signed-in operator (what audit trails name), ``op<id>`` if the account is gone."""
    operator = db.get(Operator, operator_id) if operator_id is not None else None
    return operator.login if operator is not None else f"op{operator_id}"
