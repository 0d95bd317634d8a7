"""Segment identity, naming and the HTTP ingest contract shared by the box's uploader and the portal.

A camera records in *runs* (one unbroken ffmpeg session). Each run has one init segment (fMP4 ``ftyp+moov``)
and numbered media segments (``moof+mdat``, ~6 s, cut on keyframes). A segment is identified by
(camera_id, run_id, seq); the portal deduplicates on that key, so uploading twice stores one copy.
"""

import re
import secrets
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
RUN_ID_PATTERN = r"^\d{8}T\d{6}Z-[0-9a-f]{6}$"
_RUN_ID_RE = re.compile(RUN_ID_PATTERN)

# Why a stretch of time has no video. The first seven come from the box, the last three from the portal.
# home_mode: the subscriber paused recording of their own camera («Я дома»); nothing was lost, none was wanted.
GapReason = Literal[
    "camera_unreachable",
    "camera_auth",
    "stalled",
    "box_down",
    "disk_full",
    "clock_step",
    "home_mode",
    "not_uploaded_yet",
    "box_offline",
    "lost",
]
BOX_GAP_REASONS: tuple[str, ...] = (
    "camera_unreachable",
    "camera_auth",
    "stalled",
    "box_down",
    "disk_full",
    "clock_step",
    "home_mode",
)

# HTTP ingest (box -> portal). Authorization: Bearer <device upload token>.
INGEST_PREFIX = "/ingest/v1"
HEADER_SHA256 = "X-Content-SHA256"
HEADER_START = "X-Segment-Start"  # ISO 8601 UTC, millisecond precision
HEADER_DURATION = "X-Segment-Duration"  # seconds, from media timestamps
HEADER_CLOCK_SYNCED = "X-Clock-Synced"  # "1" when the box clock was NTP-synchronised
SEGMENT_CONTENT_TYPE = "video/iso.segment"
INIT_CONTENT_TYPE = "video/mp4"
MAX_SEGMENT_BYTES = 64 * 1024 * 1024


def new_run_id(start: datetime) -> str:
    """Sortable, collision-proof run id: UTC start second plus 24 random bits."""
    return f"{start.astimezone(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def is_run_id(value: str) -> bool:
    """The pattern, and a real calendar second (20260230T... is not one)."""
    if not _RUN_ID_RE.match(value):
        return False
    try:
        datetime.strptime(value[:16], "%Y%m%dT%H%M%SZ")
    except ValueError:
        return False
    return True


def init_path(camera_id: str, run_id: str) -> str:
    return f"{INGEST_PREFIX}/cameras/{camera_id}/runs/{run_id}/init"


def segment_path(camera_id: str, run_id: str, seq: int) -> str:
    return f"{INGEST_PREFIX}/cameras/{camera_id}/runs/{run_id}/segments/{seq}"


def gaps_path(camera_id: str) -> str:
    return f"{INGEST_PREFIX}/cameras/{camera_id}/gaps"


def holdings_path(camera_id: str) -> str:
    return f"{INGEST_PREFIX}/cameras/{camera_id}/holdings"


def format_time(value: datetime) -> str:
    """ISO 8601 UTC with milliseconds and a Z suffix, the only time format on the wire."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# Every time on the wire lies in this range: outside it (years 1 or 9999, say) the arithmetic on it would
# overflow, and no box records video there.
TIME_MIN = datetime(1970, 1, 1, tzinfo=UTC)
TIME_MAX = datetime(2200, 1, 1, tzinfo=UTC)


def to_utc(value: datetime) -> datetime:
    """An aware time as UTC within [TIME_MIN, TIME_MAX); ValueError (one sentence) otherwise."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("time must carry a zone (use UTC, e.g. 2026-11-22T08:00:00Z)")
    # Compare the wall-clock reading with the bounds moved into its zone: converting year 1 at +05:00 to
    # UTC would itself raise OverflowError.
    local, offset = value.replace(tzinfo=None), value.utcoffset()
    assert offset is not None  # checked above
    if not TIME_MIN.replace(tzinfo=None) + offset <= local < TIME_MAX.replace(tzinfo=None) + offset:
        raise ValueError(f"time must be from {TIME_MIN:%Y-%m-%d} up to {TIME_MAX:%Y-%m-%d} (UTC)")
    return value.astimezone(UTC)


def parse_time(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, OverflowError) as exc:  # e.g. 2026-02-30: "day is out of range for month"
        raise ValueError(str(exc)) from None
    return to_utc(parsed)


UtcTime = Annotated[datetime, AfterValidator(to_utc)]


class SegmentMeta(BaseModel):
    """What the box knows of one media segment; sent as headers with its bytes."""

    camera_id: str = Field(pattern=ID_PATTERN)
    run_id: str = Field(pattern=RUN_ID_PATTERN)
    seq: int = Field(ge=0)
    start: UtcTime
    duration: float = Field(gt=0, le=60)
    size: int = Field(ge=1, le=MAX_SEGMENT_BYTES)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    clock_synced: bool = True


class TimeRange(BaseModel):
    start: UtcTime
    end: UtcTime


class Gap(TimeRange):
    reason: GapReason


class GapReport(BaseModel):
    """Box -> portal: gaps between runs, typed by the box. Idempotent on (camera, start, reason)."""

    gaps: list[Gap]


class Holdings(BaseModel):
    """Box -> portal: the ranges the box still holds for a camera (uploaded or not)."""

    ranges: list[TimeRange]
    reported_at: UtcTime
