"""Clip downloads: check a requested range against retention and what exists, then name the file.

``plan_clip`` gives the range's segments as they are read (the fragmented clip, remuxers); ``plan_file`` gives the
progressive MP4's layout instead, from the layout cache when the range's index rows are unchanged
(portal.archive.layout_cache).
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from cloud_sync.segments import format_time
from portal.archive import intervals as iv
from portal.archive.layout_cache import cached_layout
from portal.archive.ondemand import missing_but_held, request_upload
from portal.archive.progressive import MAX_FILE_SECONDS, Layout
from portal.archive.segments import SegmentRef, Sessions, first_segment_in, paged_in_range
from portal.archive.storage import Storage
from portal.archive.timeline import retention_start
from portal.models import Camera
from portal.services import CommandSending

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
class ClipRange:
    """A checked range of a camera: what to download and under which name."""

    camera: Camera
    start: datetime
    end: datetime
    filename: str


@dataclass(frozen=True)
class ClipPlan(ClipRange):
    segments: Iterator[SegmentRef]  # read once, as the clip is streamed (segments.paged_in_range)


@dataclass(frozen=True)
class FilePlan(ClipRange):
    file: Layout  # the progressive MP4


def plan_clip(
    db: Session,
    sessions: Sessions,
    sender: CommandSending | None,
    camera: Camera,
    start: datetime,
    duration: float,
    now: datetime,
    tz: str,
    depth_days: int | None = None,
) -> ClipPlan:
    """What a download of ``duration`` seconds from ``start`` will contain, or why it cannot be served.
    ``depth_days``: the viewer's archive depth (their tariff, portal.billing.gate); default the camera's. The
    segments are listed as the stream reads them, in sessions of their own (``sessions``, e.g. Database.session),
    so a range of any length costs one query before its first byte."""
    clip = check_clip(db, sender, camera, start, duration, now, tz, depth_days)
    if first_segment_in(db, camera.id, clip.start, clip.end) is None:
        raise _no_video(clip)
    segments = paged_in_range(sessions, camera.id, clip.start, clip.end)
    return ClipPlan(clip.camera, clip.start, clip.end, clip.filename, segments)


def plan_file(
    db: Session,
    storage: Storage,
    sender: CommandSending | None,
    camera: Camera,
    start: datetime,
    duration: float,
    now: datetime,
    tz: str,
    depth_days: int | None = None,
) -> FilePlan:
    """``plan_clip`` for the progressive MP4: the same checks and refusals, and the file's layout (cached);
    raises portal.archive.progressive.CodecChanged too."""
    if duration > MAX_FILE_SECONDS:
        raise ClipRefused(
            422,
            f"duration: one MP4 file holds at most {MAX_FILE_SECONDS} seconds (24 hours); download a longer range "
            "day by day, or as format=fmp4 (one fragmented stream of any length)",
        )
    clip = check_clip(db, sender, camera, start, duration, now, tz, depth_days)
    file = cached_layout(db, storage, camera.id, clip.start, clip.end)
    if file is None:
        raise _no_video(clip)
    return FilePlan(clip.camera, clip.start, clip.end, clip.filename, file)


def _no_video(clip: ClipRange) -> ClipRefused:
    return ClipRefused(404, f"no video recorded between {format_time(clip.start)} and {format_time(clip.end)}")


def check_clip(
    db: Session,
    sender: CommandSending | None,
    camera: Camera,
    start: datetime,
    duration: float,
    now: datetime,
    tz: str,
    depth_days: int | None = None,
) -> ClipRange:
    """The range a download of ``duration`` seconds from ``start`` covers, or why it cannot be served (retention,
    the future, being fetched from the box); whether video is in it is the caller's next question."""
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
    return ClipRange(camera, start, end, clip_filename(camera.name, start, tz))


def clip_filename(camera_name: str, start: datetime, tz: str) -> str:
    """«{camera} {YYYY-MM-DD HH-MM-SS}.mp4» in the subscriber's local time."""
    local = start.astimezone(ZoneInfo(tz))
    safe = "".join(c if c.isalnum() or c in " .-_" else "_" for c in camera_name).strip() or "camera"
    return f"{safe} {local:%Y-%m-%d %H-%M-%S}.mp4"
