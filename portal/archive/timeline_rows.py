"""What the timeline reads, in two round trips: one row of facts about the camera, then every span, box gap,
holding and outstanding fetch of the window in one UNION ALL (a day is a handful of rows: the spans summary
is kept merged at ingest, so no segment is read)."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, literal_column, null, select, union_all
from sqlalchemy.orm import QueryableAttribute, Session

from portal.archive import intervals as iv
from portal.models import (
    ArchiveCamera,
    ArchiveFetch,
    ArchiveGap,
    ArchiveHolding,
    ArchiveSegment,
    ArchiveSpan,
    Camera,
    Device,
    UTCDateTime,
)

FETCH_TTL = timedelta(minutes=10)  # an upload.range request counts as outstanding this long


@dataclass(frozen=True)
class CameraFacts:
    retention_days: int
    created_at: datetime
    box_online: bool
    holdings_reported_at: datetime | None
    known_from: datetime | None  # the earliest segment/span, holding or box gap still indexed (retention trims)


@dataclass
class WindowRows:
    spans: list[iv.Interval] = field(default_factory=list)
    box_gaps: list[tuple[datetime, datetime, str]] = field(default_factory=list)
    holdings: list[iv.Interval] = field(default_factory=list)
    fetches: list[iv.Interval] = field(default_factory=list)


def _earliest(model) -> ColumnElement:
    return select(func.min(model.start)).where(model.camera_id == bindparam("camera_id")).scalar_subquery()


def _overlapping(model, kind: str, reason: ColumnElement[Any] | QueryableAttribute[Any] | None = None) -> Select:
    return select(
        literal_column(f"'{kind}'").label("kind"),
        model.start.label("start"),
        model.end.label("end"),
        (reason if reason is not None else null()).label("reason"),
    ).where(
        model.camera_id == bindparam("camera_id"),
        model.start < bindparam("hi", type_=UTCDateTime),
        model.end > bindparam("lo", type_=UTCDateTime),
    )


# Built once: the timeline is read on every scroll of every viewer, and composing the statements costs more
# Python time than PostgreSQL spends answering them.
_FACTS = (
    select(
        Camera.retention_days,
        Camera.created_at,
        Device.state,
        ArchiveCamera.holdings_reported_at,
        _earliest(ArchiveSegment),
        _earliest(ArchiveSpan),
        _earliest(ArchiveHolding),
        _earliest(ArchiveGap),
    )
    .outerjoin(Device, Device.id == Camera.device_id)
    .outerjoin(ArchiveCamera, ArchiveCamera.camera_id == Camera.id)
    .where(Camera.id == bindparam("camera_id"))
)
_WINDOW = union_all(
    _overlapping(ArchiveSpan, "s"),
    _overlapping(ArchiveGap, "g", ArchiveGap.reason),
    _overlapping(ArchiveHolding, "h"),
    _overlapping(ArchiveFetch, "f").where(
        ArchiveFetch.status == "sent", ArchiveFetch.requested_at > bindparam("fresh", type_=UTCDateTime)
    ),
).order_by("start")


def camera_facts(db: Session, camera_id: str) -> CameraFacts | None:
    """One query; the MIN()s are index lookups on (camera_id, start)."""
    row = db.execute(_FACTS, {"camera_id": camera_id}).first()
    if row is None:
        return None
    retention_days, created_at, state, reported, *firsts = row
    known = [t for t in firsts if t is not None]
    return CameraFacts(retention_days, created_at, state == "online", reported, min(known) if known else None)


def window_rows(db: Session, camera_id: str, lo: datetime, hi: datetime, now: datetime) -> WindowRows:
    """Spans, box gaps, holdings and outstanding fetches overlapping [lo, hi), each sorted by start."""
    params = {"camera_id": camera_id, "lo": lo, "hi": hi, "fresh": now - FETCH_TTL}
    rows = WindowRows()
    lists = {"s": rows.spans, "h": rows.holdings, "f": rows.fetches}
    for kind, start, end, reason in db.execute(_WINDOW, params):
        if kind == "g":
            rows.box_gaps.append((start, end, reason))
        else:
            lists[kind].append((start, end))
    return rows


def holdings(db: Session, camera_id: str, lo: datetime, hi: datetime) -> list[iv.Interval]:
    """What the box last said it holds, merged, within [lo, hi)."""
    return iv.merge(intervals_in(db, ArchiveHolding, camera_id, lo, hi))


def outstanding_fetches(db: Session, camera_id: str, lo: datetime, hi: datetime, now: datetime) -> list[iv.Interval]:
    """upload.range requests sent within FETCH_TTL, overlapping [lo, hi)."""
    query = (
        select(ArchiveFetch.start, ArchiveFetch.end)
        .where(
            ArchiveFetch.camera_id == camera_id,
            ArchiveFetch.start < hi,
            ArchiveFetch.end > lo,
            ArchiveFetch.status == "sent",
            ArchiveFetch.requested_at > now - FETCH_TTL,
        )
        .order_by(ArchiveFetch.start)
    )
    return [(s, e) for s, e in db.execute(query)]


def intervals_in(db: Session, model, camera_id: str, lo: datetime, hi: datetime) -> list[iv.Interval]:
    """(start, end) rows of a per-camera range table (spans, holdings, ...) overlapping [lo, hi), by start."""
    query = select(model.start, model.end).where(model.camera_id == camera_id, model.start < hi, model.end > lo)
    return [(s, e) for s, e in db.execute(query.order_by(model.start))]
