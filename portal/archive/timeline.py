"""The archive timeline of a camera: recorded ranges and typed gaps for [from, to), all in UTC.

Every hole in the recorded spans gets a reason, most specific first:
1. a reason the box reported for that time (camera_unreachable, box_down, disk_full, ...);
2. ``not_uploaded_yet`` where the box's last holdings report says it still has the video;
3. otherwise, for time the box's last holdings report already covered: ``lost`` (evicted at the box
   before upload); for later time: ``box_offline`` when the box is not online, else ``not_uploaded_yet``
   (in flight: the segment being recorded or queued).
Time before the camera's retention and after ``now`` is not reported.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.archive import intervals as iv
from portal.models import ArchiveCamera, ArchiveFetch, ArchiveGap, ArchiveHolding, ArchiveSpan, Camera, utcnow

FETCH_TTL = timedelta(minutes=10)  # an upload.range request counts as outstanding this long


@dataclass(frozen=True)
class TimelineGap:
    start: datetime
    end: datetime
    reason: str


@dataclass
class Timeline:
    start: datetime
    end: datetime
    ranges: list[iv.Interval] = field(default_factory=list)
    gaps: list[TimelineGap] = field(default_factory=list)
    fetching: list[iv.Interval] = field(default_factory=list)  # requested from the box, not arrived yet


def retention_start(camera: Camera, now: datetime) -> datetime:
    return now - timedelta(days=camera.retention_days)


def timeline(db: Session, camera_id: str, start: datetime, end: datetime, resolution: float = 0.0,
             now: datetime | None = None) -> Timeline:
    """Ranges and typed gaps; ranges closer than ``resolution`` seconds are joined and shorter gaps dropped."""
    now = now or utcnow()
    camera = db.get(Camera, camera_id)
    if camera is None:
        raise LookupError(f"camera {camera_id!r} does not exist")
    lo, hi = max(start, retention_start(camera, now)), min(end, now)
    result = Timeline(start=start, end=end)
    if lo >= hi:
        return result
    join = timedelta(seconds=max(resolution, 0.0))
    result.ranges = iv.merge(iv.clip(_spans(db, camera_id, lo, hi), lo, hi), join)
    holes = [h for h in iv.complement(result.ranges, lo, hi) if h[1] - h[0] >= join]
    result.gaps = _typed(db, camera, holes, now)
    result.fetching = iv.intersect(
        [(g.start, g.end) for g in result.gaps if g.reason == "not_uploaded_yet"],
        iv.merge(outstanding_fetches(db, camera_id, lo, hi, now)),
    )
    return result


def _spans(db: Session, camera_id: str, lo: datetime, hi: datetime) -> list[iv.Interval]:
    rows = db.execute(
        select(ArchiveSpan.start, ArchiveSpan.end)
        .where(ArchiveSpan.camera_id == camera_id, ArchiveSpan.start < hi, ArchiveSpan.end > lo)
        .order_by(ArchiveSpan.start)
    )
    return [(s, e) for s, e in rows]


def _ranges_of(db: Session, model, camera_id: str, lo: datetime, hi: datetime) -> list:  # noqa: ANN001
    query = select(model).where(model.camera_id == camera_id, model.start < hi, model.end > lo).order_by(model.start)
    return list(db.scalars(query))


def holdings(db: Session, camera_id: str, lo: datetime, hi: datetime) -> list[iv.Interval]:
    return iv.merge((h.start, h.end) for h in _ranges_of(db, ArchiveHolding, camera_id, lo, hi))


def outstanding_fetches(db: Session, camera_id: str, lo: datetime, hi: datetime, now: datetime) -> list[iv.Interval]:
    rows = _ranges_of(db, ArchiveFetch, camera_id, lo, hi)
    return [(r.start, r.end) for r in rows if r.status == "sent" and r.requested_at > now - FETCH_TTL]


def _typed(db: Session, camera: Camera, holes: list[iv.Interval], now: datetime) -> list[TimelineGap]:
    if not holes:
        return []
    lo, hi = holes[0][0], holes[-1][1]
    gaps: list[TimelineGap] = []
    left = holes
    for row in _ranges_of(db, ArchiveGap, camera.id, lo, hi):  # 1. the box's own reasons
        for s, e in iv.intersect(left, [(row.start, row.end)]):
            gaps.append(TimelineGap(s, e, row.reason))
        left = iv.subtract(left, [(row.start, row.end)])
    held = holdings(db, camera.id, lo, hi)  # 2. the box still has it
    gaps += [TimelineGap(s, e, "not_uploaded_yet") for s, e in iv.intersect(left, held)]
    left = iv.subtract(left, held)
    state = db.get(ArchiveCamera, camera.id)  # 3. unexplained
    reported = state.holdings_reported_at if state else None
    known = [(lo, reported)] if reported and reported > lo else []
    gaps += [TimelineGap(s, e, "lost") for s, e in iv.intersect(left, known)]
    box_online = camera.device is not None and camera.device.state == "online"
    later = "not_uploaded_yet" if box_online else "box_offline"
    gaps += [TimelineGap(s, e, later) for s, e in iv.subtract(left, known)]
    return _join_same_reason(sorted(gaps, key=lambda g: g.start))


def _join_same_reason(gaps: list[TimelineGap]) -> list[TimelineGap]:
    out: list[TimelineGap] = []
    for gap in gaps:
        if out and out[-1].reason == gap.reason and out[-1].end >= gap.start:
            out[-1] = TimelineGap(out[-1].start, max(out[-1].end, gap.end), gap.reason)
        else:
            out.append(gap)
    return out
