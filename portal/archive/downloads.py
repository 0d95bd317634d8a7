"""Clip downloads: check a requested range against retention and what exists, then name the file."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from cloud_sync.segments import format_time
from portal.archive import intervals as iv
from portal.archive.ondemand import CommandSender, missing_but_held, request_upload
from portal.archive.segments import SegmentRef, segments_in_range
from portal.archive.timeline import retention_start
from portal.models import Camera

DURATION_CHOICES = (60, 300, 600, 1800, 3600)  # the form's 1, 5, 10, 30, 60 minutes


class ClipRefused(Exception):
    """A download that cannot be served as asked; ``status`` is the HTTP answer, the message says why."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass
class Fetching(Exception):
    """Part of the range is being uploaded by the box on demand; try again shortly."""

    ranges: list[iv.Interval] = field(default_factory=list)


@dataclass(frozen=True)
class ClipPlan:
    camera: Camera
    start: datetime
    end: datetime
    segments: list[SegmentRef]
    filename: str


def plan_clip(
    db: Session,
    sender: CommandSender | None,
    camera: Camera,
    start: datetime,
    duration: float,
    now: datetime,
    tz: str,
    depth_days: int | None = None,
) -> ClipPlan:
    """What a download of ``duration`` seconds from ``start`` will contain, or why it cannot be served.
    ``depth_days``: the viewer's archive depth (their tariff, portal.billing.gate); default the camera's."""
    depth = camera.retention_days if depth_days is None else depth_days
    limit = depth * 86400
    if not 0 < duration <= limit:
        raise ClipRefused(422, f"duration: must be between 1 and {limit} seconds (the camera's retention)")
    earliest = now - timedelta(days=depth) if depth_days is not None else retention_start(camera, now)
    if start < earliest:
        raise ClipRefused(
            400,
            f"start: {format_time(start)} is outside the retention of {depth} days (earliest {format_time(earliest)})",
        )
    if start >= now:
        raise ClipRefused(400, f"start: {format_time(start)} is in the future")
    end = min(start + timedelta(seconds=duration), now)
    held = missing_but_held(db, camera.id, start, end)
    if held:
        from portal.archive.ondemand import NoBoxLink

        try:
            fetching = request_upload(db, sender, camera, held, now)
        except NoBoxLink as exc:
            raise ClipRefused(409, str(exc)) from None
        if fetching:
            raise Fetching(fetching)
    segments = segments_in_range(db, camera.id, start, end)
    if not segments:
        raise ClipRefused(404, f"no video recorded between {format_time(start)} and {format_time(end)}")
    return ClipPlan(camera, start, end, segments, clip_filename(camera.name, start, tz))


def clip_filename(camera_name: str, start: datetime, tz: str) -> str:
    """«{camera} {YYYY-MM-DD HH-MM-SS}.mp4» in the subscriber's local time."""
    local = start.astimezone(ZoneInfo(tz))
    safe = "".join(c if c.isalnum() or c in " .-_" else "_" for c in camera_name).strip() or "camera"
    return f"{safe} {local:%Y-%m-%d %H-%M-%S}.mp4"
