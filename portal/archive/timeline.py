"""The archive timeline of a camera: recorded ranges and typed gaps for [from, to), all in UTC.

Every hole in the recorded spans gets a reason, most specific first:
1. a reason the box reported for that time (camera_unreachable, box_down, disk_full, ...);
2. ``not_uploaded_yet`` where the box's last holdings report says it still has the video;
3. otherwise, for time the box's last holdings report already covered: ``lost`` (evicted at the box
   before upload); for later time: ``box_offline`` when the box is not online, else ``not_uploaded_yet``
   (in flight: the segment being recorded or queued).
Time before the camera's retention and after ``now`` is not reported, nor is time before anything was ever
known of the camera (its first segment, holding or box gap; its creation when nothing is known yet): a camera
installed at 08:56 has no video before then, which is not lost video - its timeline simply starts there.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from portal.archive import intervals as iv
from portal.archive.timeline_rows import CameraFacts, WindowRows, camera_facts, window_rows
from portal.models import Camera, utcnow


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


def retention_start(camera: Camera | CameraFacts, now: datetime) -> datetime:
    return now - timedelta(days=camera.retention_days)


def timeline(
    db: Session,
    camera_id: str,
    start: datetime,
    end: datetime,
    resolution: float = 0.0,
    now: datetime | None = None,
    depth_days: int | None = None,
) -> Timeline:
    """Ranges and typed gaps; ranges closer than ``resolution`` seconds are joined and shorter gaps dropped.
    ``depth_days``: how far back the viewer may look (their tariff, portal.billing.gate); default the camera's.

    Two queries whatever the window (timeline_rows): the camera's facts, then the window's rows.
    """
    now = now or utcnow()
    facts = camera_facts(db, camera_id)
    if facts is None:
        raise LookupError(f"camera {camera_id!r} does not exist")
    oldest = retention_start(facts, now) if depth_days is None else now - timedelta(days=depth_days)
    lo, hi = max(start, oldest), min(end, now)
    result = Timeline(start=start, end=end)
    if lo >= hi:
        return result
    rows = window_rows(db, camera_id, lo, hi, now)
    join = timedelta(seconds=max(resolution, 0.0))
    result.ranges = iv.merge(iv.clip(rows.spans, lo, hi), join)
    # Holes are typed only from the first thing known of the camera on (see module doc).
    known_from = facts.known_from or facts.created_at
    holes = iv.clip(iv.complement(result.ranges, lo, hi), max(lo, known_from), hi)
    holes = [h for h in holes if h[1] - h[0] >= join]
    result.gaps = _typed(facts, rows, holes)
    result.fetching = iv.intersect(
        [(g.start, g.end) for g in result.gaps if g.reason == "not_uploaded_yet"], iv.merge(rows.fetches)
    )
    return result


def _typed(facts: CameraFacts, rows: WindowRows, holes: list[iv.Interval]) -> list[TimelineGap]:
    if not holes:
        return []
    lo = holes[0][0]
    gaps: list[TimelineGap] = []
    left = holes
    for gap_start, gap_end, reason in rows.box_gaps:  # 1. the box's own reasons
        for s, e in iv.intersect(left, [(gap_start, gap_end)]):
            gaps.append(TimelineGap(s, e, reason))
        left = iv.subtract(left, [(gap_start, gap_end)])
    held = iv.merge(rows.holdings)  # 2. the box still has it
    gaps += [TimelineGap(s, e, "not_uploaded_yet") for s, e in iv.intersect(left, held)]
    left = iv.subtract(left, held)
    reported = facts.holdings_reported_at  # 3. unexplained
    known = [(lo, reported)] if reported and reported > lo else []
    gaps += [TimelineGap(s, e, "lost") for s, e in iv.intersect(left, known)]
    later = "not_uploaded_yet" if facts.box_online else "box_offline"
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
