"""Parsing the archive API's query parameters; errors name the parameter (HTTP 422)."""

from datetime import datetime

from fastapi import HTTPException

from cloud_sync.segments import parse_time


def parse_instant(name: str, value: str) -> datetime:
    try:
        return parse_time(value)
    except ValueError as exc:
        raise HTTPException(
            422, f"{name}: {value[:64]!r} is not a usable time: {exc} (ISO 8601 with a zone, e.g. 2026-11-22T08:00:00Z)"
        ) from None


def parse_window(start: str, end: str, names: tuple[str, str] = ("from", "to")) -> tuple[datetime, datetime]:
    """The window [start, end); errors name the query parameters as the route calls them."""
    lo, hi = parse_instant(names[0], start), parse_instant(names[1], end)
    if hi <= lo:
        raise HTTPException(422, f"{names[1]}: must be after {names[0]}")
    return lo, hi
