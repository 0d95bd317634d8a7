"""Tariffs: the operator's catalogue, a contract's tariff, and the subscriber's switch to another one."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.billing import ledger
from portal.billing.accrual import local_day
from portal.billing.money import parse_roubles
from portal.billing.settings import billing_settings
from portal.cabinet.errors import FieldError
from portal.models import ContractBilling, Tariff
from portal.models.billing import ARCHIVE_DAYS

MAX_MONTHLY_KOPECKS = 10_000_000


@dataclass(frozen=True)
class TariffForm:
    name: str
    monthly_price: str
    archive_days: str
    description: str = ""
    switchable: bool = True


def validate(form: TariffForm) -> dict:
    """The tariff's column values, or FieldError naming the bad field."""
    name = form.name.strip()
    if not name:
        raise FieldError("name", "укажите название тарифа")
    if len(name) > 100:
        raise FieldError("name", "название не длиннее 100 символов")
    text = form.monthly_price.strip()
    price = 0 if text in ("0", "0.00", "0,00") else parse_roubles(text, field="monthly_price")
    try:
        days = int(str(form.archive_days).strip())
    except ValueError:
        raise FieldError("archive_days", f"глубина архива — одно из {ARCHIVE_DAYS} дней") from None
    if days not in ARCHIVE_DAYS:
        raise FieldError("archive_days", f"глубина архива — одно из {ARCHIVE_DAYS} дней")
    return {
        "name": name,
        "monthly_price_kopecks": price,
        "archive_days": days,
        "description": form.description.strip()[:2000],
        "switchable": bool(form.switchable),
    }


def create(db: Session, form: TariffForm) -> Tariff:
    tariff = Tariff(**validate(form), active=True)
    db.add(tariff)
    db.flush()
    return tariff


def update(db: Session, tariff_id: int, form: TariffForm) -> Tariff:
    """Price and depth changes apply from the next accrued day (accrual reads the tariff each day)."""
    tariff = db.get(Tariff, tariff_id)
    if tariff is None:
        raise FieldError("tariff_id", "нет такого тарифа")
    for key, value in validate(form).items():
        setattr(tariff, key, value)
    db.flush()
    return tariff


def retire(db: Session, tariff_id: int, active: bool = False) -> Tariff:
    """A retired tariff stays on the contracts that have it; nobody can switch to it."""
    tariff = db.get(Tariff, tariff_id)
    if tariff is None:
        raise FieldError("tariff_id", "нет такого тарифа")
    tariff.active = active
    db.flush()
    return tariff


def all_tariffs(db: Session) -> list[Tariff]:
    return list(db.scalars(select(Tariff).order_by(Tariff.active.desc(), Tariff.monthly_price_kopecks, Tariff.id)))


def open_to(db: Session, contract_id: int) -> list[Tariff]:
    """Tariffs the subscriber may switch to (active and switchable) plus their own current one."""
    account = db.get(ContractBilling, contract_id)
    current = account.tariff_id if account is not None else None
    rows = db.scalars(
        select(Tariff)
        .where((Tariff.active.is_(True) & Tariff.switchable.is_(True)) | (Tariff.id == current))
        .order_by(Tariff.monthly_price_kopecks, Tariff.id)
    )
    return list(rows)


def assign(db: Session, contract_id: int, tariff_id: int, today: date) -> ContractBilling:
    """The operator puts a contract on a tariff at once; accrual starts with ``today`` if it never ran."""
    tariff = db.get(Tariff, tariff_id)
    if tariff is None:
        raise FieldError("tariff_id", "нет такого тарифа")
    account = ledger.lock_account(db, contract_id)
    account.tariff_id = tariff.id
    account.pending_tariff_id = account.pending_from = None
    if account.accrued_through is None:
        account.accrued_through = today - timedelta(days=1)
    db.flush()
    return account


@dataclass(frozen=True)
class SwitchResult:
    tariff: Tariff
    effective: date
    warning: str  # non-empty when the new tariff shows less archive


def effective_date(today: date, mode: str) -> date:
    if mode == "next_month":
        return (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    return today + timedelta(days=1)


def request_switch(db: Session, contract_id: int, raw_tariff_id: object, now: datetime) -> SwitchResult:
    """The subscriber's switch: from the next day (or month, per the operator's setting). Bad or closed
    tariff -> FieldError("tariff_id"), nothing changed. Choosing the current tariff cancels a pending switch."""
    try:
        tariff_id = int(str(raw_tariff_id).strip())
    except (TypeError, ValueError):
        raise FieldError("tariff_id", "укажите тариф из списка") from None
    tariff = db.get(Tariff, tariff_id)
    if tariff is None:
        raise FieldError("tariff_id", f"тарифа {tariff_id} нет")
    account = ledger.lock_account(db, contract_id)
    today = local_day(now, account.tz)
    if account.tariff_id == tariff.id:
        account.pending_tariff_id = account.pending_from = None
        db.flush()
        return SwitchResult(tariff, today, "")
    if not tariff.active:
        raise FieldError("tariff_id", f"тариф «{tariff.name}» закрыт, перейти на него нельзя")
    if not tariff.switchable:
        raise FieldError("tariff_id", f"на тариф «{tariff.name}» переводит только оператор")
    if account.tariff_id is None:  # no tariff yet: it starts today
        assign(db, contract_id, tariff.id, today)
        return SwitchResult(tariff, today, "")
    effective = effective_date(today, billing_settings(db).switch_mode)
    account.pending_tariff_id, account.pending_from = tariff.id, effective
    db.flush()
    current = db.get(Tariff, account.tariff_id)
    warning = ""
    if current is not None and tariff.archive_days < current.archive_days:
        warning = (
            f"С {effective:%d.%m.%Y} вам будет доступен архив только за {tariff.archive_days} дн. "
            f"(сейчас {current.archive_days}): более старые записи станут недоступны."
        )
    return SwitchResult(tariff, effective, warning)
