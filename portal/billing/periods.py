"""Period bounds for history filters: ISO instants with a zone, or plain dates taken in the contract's zone."""

from datetime import date, datetime, time, timedelta

from cloud_sync.segments import parse_time
from portal.billing.accrual import zone
from portal.cabinet.errors import FieldError


def parse_bound(field: str, value: str | None, tz: str, *, end: bool = False) -> datetime | None:
    """None for empty; a date means the start of that local day (for ``end``: the start of the day after)."""
    text = (value or "").strip()
    if not text:
        return None
    if len(text) == 10:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise FieldError(field, "дата в виде ГГГГ-ММ-ДД или время ISO 8601 с зоной") from None
        if end:
            day += timedelta(days=1)
        return datetime.combine(day, time(0), tzinfo=zone(tz))
    try:
        return parse_time(text)
    except ValueError:
        raise FieldError(field, "дата ГГГГ-ММ-ДД или время ISO 8601 с зоной, например 2026-11-01T00:00:00Z") from None


def parse_period(start: str | None, end: str | None, tz: str) -> tuple[datetime | None, datetime | None]:
    lo, hi = parse_bound("from", start, tz), parse_bound("to", end, tz, end=True)
    if lo is not None and hi is not None and hi <= lo:
        raise FieldError("to", "конец периода должен быть позже начала")
    return lo, hi
