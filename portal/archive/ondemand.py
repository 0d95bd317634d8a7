"""On-demand upload: ask the box for a range it holds but has not uploaded (``upload.range``, high priority).

The command sender is registered by the fleet link at ``services.commands``. Requests are
recorded in ``archive_fetches`` so every portal worker sees what is already being fetched and the box
is asked once, not once per worker or per viewer.
"""

from datetime import datetime

from sqlalchemy.orm import Session

from cloud_sync.segments import format_time
from portal.archive import intervals as iv
from portal.archive.index import lock_camera
from portal.archive.timeline_rows import holdings, intervals_in, outstanding_fetches
from portal.models import ArchiveFetch, ArchiveSpan, Camera
from portal.services import CommandSending

UPLOAD_RANGE = "upload.range"
HIGH_PRIORITY = 100


class NoBoxLink(RuntimeError):
    """The box holds the video, but the portal has no command link to ask for it."""


def missing_but_held(db: Session, camera_id: str, start: datetime, end: datetime) -> list[iv.Interval]:
    """Parts of [start, end) not in the portal's archive that the box says it still holds."""
    spans = intervals_in(db, ArchiveSpan, camera_id, start, end)
    holes = iv.complement(iv.merge(iv.clip(spans, start, end)), start, end)
    return iv.intersect(holes, holdings(db, camera_id, start, end))


def request_upload(
    db: Session, sender: CommandSending | None, camera: Camera, ranges: list[iv.Interval], now: datetime
) -> list[iv.Interval]:
    """Ask the box for ``ranges`` unless already asked recently; returns the ranges now being fetched."""
    if not ranges:
        return []
    if sender is None:
        raise NoBoxLink(f"the box holds this video but upload was not requested: no link to box {camera.device_id}")
    lock_camera(db, camera.id, now)  # one worker at a time decides what still needs asking
    lo, hi = ranges[0][0], ranges[-1][1]
    asked = iv.merge(outstanding_fetches(db, camera.id, lo, hi, now))
    for start, end in iv.subtract(ranges, asked):
        row = ArchiveFetch(camera_id=camera.id, start=start, end=end, requested_at=now, status="sent")
        args = {"camera_id": camera.id, "start": format_time(start), "end": format_time(end), "priority": HIGH_PRIORITY}
        try:
            sender.send(camera.device_id, UPLOAD_RANGE, args, timeout=None, sent_by="archive")
        except Exception as exc:
            row.status, row.detail = "failed", str(exc)[:300]
        db.add(row)
    db.flush()
    return iv.intersect(ranges, iv.merge(outstanding_fetches(db, camera.id, lo, hi, now)))
