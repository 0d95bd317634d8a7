"""ISP staff accounts for the operator console."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.auth.passwords import hash_password, verify_password
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


def authenticate_operator(db: Session, login: str, password: str) -> Operator | None:
    operator = db.scalar(select(Operator).where(Operator.login == login.strip()))
    if operator is None or not verify_password(operator.password_hash, password):
        return None
    return operator
