"""What billing allows a contract: whether its video service is suspended for debt, and how many days of a
camera's archive it sees. Every surface (cabinet, JSON API, Forpost, media URLs) asks these two functions.

Suspension rule: the balance is below zero and has been since ``negative_since`` for longer than the
operator's grace period. Any entry that brings the balance to zero or above (a payment, a promised payment)
clears ``negative_since``, so access returns at once. Recording never stops: this only gates viewing.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.billing.money import format_roubles_ru
from portal.billing.settings import billing_settings
from portal.models import Camera, ContractBilling, Tariff, utcnow

PAY_HINT = "Пополните баланс в личном кабинете: раздел «Баланс» → «Пополнить», или возьмите «обещанный платёж»."


class ServiceSuspended(Exception):
    """Raised by the access layer for a suspended contract; handlers answer with ``message`` (Russian)."""

    def __init__(self, state: "AccessState") -> None:
        super().__init__(state.message)
        self.state = state
        self.message = state.message


@dataclass(frozen=True)
class AccessState:
    suspended: bool
    balance_kopecks: int
    message: str  # why and how to pay, empty when active
    suspended_since: datetime | None = None
    grace_ends: datetime | None = None  # the balance is negative but the grace period still runs


def contract_access_state(db: Session, contract_id: int | None, now: datetime | None = None) -> AccessState:
    """Active unless the balance has been negative for longer than the grace period."""
    if contract_id is None:
        return AccessState(False, 0, "")
    account = db.get(ContractBilling, contract_id)
    if account is None or account.negative_since is None or account.balance_kopecks >= 0:
        return AccessState(False, account.balance_kopecks if account else 0, "")
    now = now or utcnow()
    ends = account.negative_since + timedelta(days=billing_settings(db).grace_days)
    if now < ends:
        return AccessState(False, account.balance_kopecks, "", grace_ends=ends)
    debt = format_roubles_ru(-account.balance_kopecks)
    message = (
        f"Доступ к видео приостановлен: на балансе долг {debt}, срок для оплаты истёк. "
        f"Запись камер продолжается — после оплаты архив снова будет доступен. {PAY_HINT}"
    )
    return AccessState(True, account.balance_kopecks, message, suspended_since=ends)


def service_suspended(db: Session, contract_id: int | None, now: datetime | None = None) -> bool:
    return contract_access_state(db, contract_id, now).suspended


def require_service(db: Session, contract_id: int | None, now: datetime | None = None) -> None:
    """The access layer's one call: raise ServiceSuspended for a suspended contract (operators pass None)."""
    state = contract_access_state(db, contract_id, now)
    if state.suspended:
        raise ServiceSuspended(state)


def tariff_depth(db: Session, contract_id: int | None) -> int | None:
    """The archive days of the contract's current tariff; None without a tariff (the camera's depth applies)."""
    if contract_id is None:
        return None
    return db.scalar(
        select(Tariff.archive_days)
        .join(ContractBilling, ContractBilling.tariff_id == Tariff.id)
        .where(ContractBilling.contract_id == contract_id)
    )


def visible_depth_days(db: Session, contract_id: int | None, camera: Camera) -> int:
    """THE depth this contract sees of this camera: its tariff's depth, never more than the camera keeps.
    Operators (contract None) and contracts without a tariff see what the camera keeps."""
    depth = tariff_depth(db, contract_id)
    return camera.retention_days if depth is None else min(depth, camera.retention_days)


def visible_since(db: Session, contract_id: int | None, camera: Camera, now: datetime | None = None) -> datetime:
    """The oldest moment of the camera's archive the contract may see."""
    return (now or utcnow()) - timedelta(days=visible_depth_days(db, contract_id, camera))
