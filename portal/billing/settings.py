"""The operator's billing settings (one row, defaults on first read) and their validation."""

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from portal.cabinet.errors import FieldError
from portal.models import utcnow
from portal.models.billing import BillingSettings

SWITCH_MODES = ("next_day", "next_month")
DEFAULTS = {"grace_days": 3, "switch_mode": "next_day", "promised_enabled": True, "promised_days": 5}


def billing_settings(db: Session) -> BillingSettings:
    row = db.get(BillingSettings, 1)
    if row is None:  # the migration seeds it; concurrent first readers must not collide either
        insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
        values = {"id": 1, "updated_at": utcnow(), "updated_by": "", **DEFAULTS}
        db.execute(insert(BillingSettings).values(**values).on_conflict_do_nothing(index_elements=["id"]))
        row = db.get(BillingSettings, 1)
        if row is None:
            raise LookupError("billing settings row 1 is missing after insert")
    return row


def _int_field(value: object, field: str, lo: int, hi: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise FieldError(field, f"целое число от {lo} до {hi}") from None
    if not lo <= number <= hi:
        raise FieldError(field, f"целое число от {lo} до {hi}")
    return number


def update(
    db: Session, *, grace_days: object, switch_mode: str, promised_enabled: bool, promised_days: object, actor: str
) -> BillingSettings:
    grace = _int_field(grace_days, "grace_days", 0, 60)
    days = _int_field(promised_days, "promised_days", 1, 30)
    if switch_mode not in SWITCH_MODES:
        raise FieldError("switch_mode", "со следующего дня или со следующего месяца")
    row = billing_settings(db)
    row.grace_days, row.switch_mode, row.promised_enabled, row.promised_days = (
        grace,
        switch_mode,
        promised_enabled,
        days,
    )
    row.updated_at, row.updated_by = utcnow(), actor
    db.flush()
    return row
