"""Parsing and checking the headers and path parts of an upload; every error names what was wrong."""

import math
import re
from dataclasses import dataclass
from datetime import datetime

from fastapi import HTTPException

from cloud_sync.segments import (
    HEADER_CLOCK_SYNCED,
    HEADER_DURATION,
    HEADER_SHA256,
    HEADER_START,
    MAX_SEGMENT_BYTES,
    is_run_id,
    parse_time,
)

_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
MAX_SEGMENT_SECONDS = 60.0


@dataclass(frozen=True)
class SegmentHeaders:
    sha256: str
    start: datetime
    duration: float
    clock_synced: bool


def check_run(run_id: str) -> None:
    if not is_run_id(run_id):
        raise HTTPException(400, f"run: {run_id!r} is not a run id (YYYYmmddTHHMMSSZ-xxxxxx)")


def check_content_type(value: str | None, expected: str) -> None:
    media_type = (value or "").split(";")[0].strip().lower()
    if media_type != expected:
        raise HTTPException(415, f"Content-Type must be {expected}, got {value or 'nothing'!r}")


def check_length(value: str | None) -> None:
    """Refuse an announced oversize body before reading it."""
    if value is not None and value.strip().isascii() and value.strip().isdigit() and int(value) > MAX_SEGMENT_BYTES:
        raise HTTPException(413, f"Content-Length {value} exceeds the limit of {MAX_SEGMENT_BYTES} bytes")


def parse_sha256(value: str | None, required: bool) -> str | None:
    if value is None or value == "":
        if required:
            raise HTTPException(400, f"{HEADER_SHA256}: missing (hex SHA-256 of the body)")
        return None
    value = value.strip().lower()
    if not _SHA_RE.match(value):
        raise HTTPException(400, f"{HEADER_SHA256}: not a hex SHA-256 ({value[:80]!r})")
    return value


def parse_segment_headers(headers) -> SegmentHeaders:
    sha = parse_sha256(headers.get(HEADER_SHA256), required=True)
    assert sha is not None  # required=True: a missing header raised
    raw_start = headers.get(HEADER_START)
    if not raw_start:
        raise HTTPException(400, f"{HEADER_START}: missing (ISO 8601 UTC, e.g. 2026-11-22T08:00:00.000Z)")
    try:
        start = parse_time(raw_start)
    except ValueError as exc:
        raise HTTPException(400, f"{HEADER_START}: {raw_start!r} is not an ISO 8601 time with a zone ({exc})") from None
    raw_duration = headers.get(HEADER_DURATION)
    try:
        duration = float(raw_duration or "")
    except ValueError:
        raise HTTPException(400, f"{HEADER_DURATION}: {raw_duration!r} is not a number of seconds") from None
    if not math.isfinite(duration) or not 0 < duration <= MAX_SEGMENT_SECONDS:
        raise HTTPException(400, f"{HEADER_DURATION}: {duration} must be in (0, {MAX_SEGMENT_SECONDS:g}] seconds")
    synced = headers.get(HEADER_CLOCK_SYNCED, "1").strip()
    if synced not in ("0", "1"):
        raise HTTPException(400, f"{HEADER_CLOCK_SYNCED}: must be 1 or 0, got {synced!r}")
    return SegmentHeaders(sha256=sha, start=start, duration=duration, clock_synced=synced == "1")
