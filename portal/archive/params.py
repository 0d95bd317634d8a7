"""Parsing the archive API's query parameters; errors name the parameter (HTTP 422)."""

from datetime import datetime

from fastapi import HTTPException

from cloud_sync.segments import parse_time


def parse_instant(name: str, value: str) -> datetime:
    try:
        return parse_time(value)
    except ValueError as exc:
        raise HTTPException(
            422, f"{name}: {value!r} is not an ISO 8601 time with a zone, e.g. 2026-11-22T08:00:00Z ({exc})"
        ) from None


def parse_window(start: str, end: str) -> tuple[datetime, datetime]:
    lo, hi = parse_instant("from", start), parse_instant("to", end)
    if hi <= lo:
        raise HTTPException(422, "to: must be after from")
    return lo, hi
