"""Money in integer kopecks: parsing what people type and formatting what they read. Never floats."""

import re

from portal.cabinet.errors import FieldError

# The largest single amount a form or the API accepts: 100 000.00 ₽.
MAX_KOPECKS = 10_000_000

_AMOUNT = re.compile(r"^(?P<sign>[+-]?)(?P<whole>\d+)(?:[.,](?P<frac>\d+))?$")


def parse_roubles(
    value: str | None, *, field: str = "amount", max_kopecks: int = MAX_KOPECKS, signed: bool = False
) -> int:
    """«150», «150.5», «150,50» -> kopecks. ``signed`` allows a minus (manual adjustments), never zero.

    Raises FieldError naming ``field`` for: empty, not a number, zero, negative (unless signed), more than two
    decimals, or a magnitude over ``max_kopecks``.
    """
    text = (value if isinstance(value, str) else "" if value is None else str(value)).strip().replace(" ", "")
    text = text.replace("\u00a0", "")
    if not text:
        raise FieldError(field, "укажите сумму")
    match = _AMOUNT.match(text)
    if match is None:
        raise FieldError(field, "сумма должна быть числом, например 150 или 150.50")
    frac = match["frac"] or ""
    if len(frac) > 2:
        raise FieldError(field, "не больше двух знаков после запятой (копейки)")
    kopecks = int(match["whole"]) * 100 + int(frac.ljust(2, "0") or "0")
    negative = match["sign"] == "-"
    if kopecks == 0:
        raise FieldError(field, "сумма должна быть больше нуля")
    if negative and not signed:
        raise FieldError(field, "сумма должна быть больше нуля")
    if kopecks > max_kopecks:
        raise FieldError(field, f"сумма не может быть больше {format_roubles(max_kopecks)} ₽")
    return -kopecks if negative else kopecks


def format_roubles(kopecks: int) -> str:
    """12345 -> "123.45", -1230 -> "-12.30": the API's decimal string in roubles."""
    sign = "-" if kopecks < 0 else ""
    whole, part = divmod(abs(int(kopecks)), 100)
    return f"{sign}{whole}.{part:02d}"


def format_roubles_ru(kopecks: int) -> str:
    """For pages: «1 234,50 ₽» (thin grouping, comma decimals as Russian readers expect)."""
    sign = "−" if kopecks < 0 else ""
    whole, part = divmod(abs(int(kopecks)), 100)
    grouped = f"{whole:,}".replace(",", "\u00a0")
    return f"{sign}{grouped},{part:02d}\u00a0₽"
