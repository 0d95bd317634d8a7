"""Retention: remove video past each camera's retention (7, 14 or 30 days by tariff) from index and store.

Safe with several portal workers sweeping at once: segments are claimed by deleting their index rows
(``DELETE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING object_key`` on PostgreSQL, where
concurrent sweepers take disjoint batches; on SQLite the database write lock serialises the same
statement). Only the sweeper whose DELETE returned a row deletes that object, so nothing is deleted
twice; objects go after the commit, so a crash leaves at worst unreferenced objects, which the day sweep
(listing whole ``{camera}/{day}/`` prefixes past retention) removes later.

All of it is UTC: object keys and run ids carry UTC days and times, so the cutoff is converted to UTC before
anything is compared with them, whatever the portal host's zone.
A run's init lives as long as any of its segments may: a run without segments in the index may still have
segments inside retention on its way from a box's backlog, so its init goes only once a later run of the same
camera began before the cutoff (the camera records one run at a time, so every segment of the earlier run
ended before that).
"""

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.orm import Session, aliased

from portal.archive import keys
from portal.archive.segments import MAX_SEGMENT_SECONDS
from portal.archive.storage import Storage, storage_of
from portal.models import (
    ArchiveFetch,
    ArchiveGap,
    ArchiveHolding,
    ArchiveRun,
    ArchiveSegment,
    ArchiveSpan,
    Camera,
)
from portal.periodic import start_periodic

log = logging.getLogger(__name__)
BATCH = 1000
DAY_SWEEP_DAYS = 3  # how many day prefixes before the cutoff each sweep lists for leftovers


def as_utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive one is taken as UTC already (never as the host's local time)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def sweep(services, now: datetime | None = None) -> dict[str, int]:
    """One retention pass over every camera; returns counts of what this worker removed."""
    now = as_utc(now or datetime.now(UTC))
    storage = storage_of(services)
    totals = {"segments": 0, "runs": 0, "objects": 0}
    with services.db.session() as db:
        cameras = db.execute(select(Camera.id, Camera.retention_days)).all()
    for camera_id, days in cameras:
        cutoff = now - timedelta(days=days)
        for name, count in sweep_camera(services.db, storage, camera_id, cutoff).items():
            totals[name] += count
    return totals


def sweep_camera(database, storage: Storage, camera_id: str, cutoff: datetime) -> dict[str, int]:
    cutoff = as_utc(cutoff)
    counts = {"segments": 0, "runs": 0, "objects": 0}
    while True:
        with database.session() as db:
            claimed = _claim_segments(db, camera_id, cutoff)
        if not claimed:
            break
        storage.delete(claimed)
        counts["segments"] += len(claimed)
        counts["objects"] += len(claimed)
    with database.session() as db:
        inits = _claim_empty_runs(db, camera_id, cutoff)
        _trim_summaries(db, camera_id, cutoff)
    storage.delete(inits)
    counts["runs"] = len(inits)
    counts["objects"] += len(inits) + _sweep_old_days(storage, camera_id, cutoff)
    return counts


def _locked_ids(db: Session, query):
    """Row ids to claim: skipping rows another sweeper holds (PostgreSQL); SQLite serialises writers."""
    if db.get_bind().dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True)
    return query


def _claim_segments(db: Session, camera_id: str, cutoff: datetime) -> list[str]:
    ids = _locked_ids(
        db,
        select(ArchiveSegment.id)
        .where(ArchiveSegment.camera_id == camera_id, ArchiveSegment.end <= cutoff)
        .limit(BATCH),
    )
    rows = db.execute(
        delete(ArchiveSegment).where(ArchiveSegment.id.in_(ids.scalar_subquery())).returning(ArchiveSegment.object_key)
    )
    return [key for (key,) in rows]


def _claim_empty_runs(db: Session, camera_id: str, cutoff: datetime) -> list[str]:
    """Runs with no segments left that a later run of the camera, begun before the cutoff, succeeded; their inits.

    Run ids start with their UTC start (YYYYmmddTHHMMSSZ), so string comparisons order them. An empty run without
    such a successor may be a long run whose segments inside retention are still being uploaded from a backlog:
    deleting its init would leave them unplayable.
    """
    later = aliased(ArchiveRun)
    succeeded = (
        select(later.id)
        .where(
            later.camera_id == camera_id,
            later.run_id > ArchiveRun.run_id,
            later.run_id < f"{cutoff:%Y%m%dT%H%M%SZ}",
        )
        .exists()
    )
    has_segments = select(ArchiveSegment.id).where(ArchiveSegment.run_pk == ArchiveRun.id).exists()
    ids = _locked_ids(
        db,
        select(ArchiveRun.id).where(ArchiveRun.camera_id == camera_id, succeeded, ~has_segments),
    )
    rows = db.execute(delete(ArchiveRun).where(ArchiveRun.id.in_(ids.scalar_subquery())).returning(ArchiveRun.init_key))
    return [key for (key,) in rows if key]


def _trim_summaries(db: Session, camera_id: str, cutoff: datetime) -> None:
    """Spans, gaps, holdings and fetches follow the segments out of retention."""
    for model in (ArchiveSpan, ArchiveGap, ArchiveHolding, ArchiveFetch):
        db.execute(delete(model).where(model.camera_id == camera_id, model.end <= cutoff))
    earliest = db.scalar(select(func.min(ArchiveSegment.start)).where(ArchiveSegment.camera_id == camera_id))
    if earliest is not None:  # a span that straddled the cutoff now starts at the oldest segment kept
        db.execute(
            update(ArchiveSpan)
            .where(and_(ArchiveSpan.camera_id == camera_id, ArchiveSpan.start < earliest))
            .values(start=earliest)
        )


def _sweep_old_days(storage: Storage, camera_id: str, cutoff: datetime) -> int:
    """Delete leftovers under day prefixes whose every segment has ended before the cutoff."""
    last_safe_day = (as_utc(cutoff) - timedelta(days=1, seconds=MAX_SEGMENT_SECONDS)).date()  # keys' days are UTC
    removed = 0
    for back in range(DAY_SWEEP_DAYS):
        day = datetime.combine(last_safe_day - timedelta(days=back), datetime.min.time(), tzinfo=UTC)
        leftovers = list(storage.list(keys.day_prefix(camera_id, day)))
        if leftovers:
            removed += storage.delete(leftovers)
    return removed


def start_sweeper(services, interval: float) -> asyncio.Task | None:
    """The periodic sweep of a portal process (None when ``interval`` <= 0, as in tests)."""
    return start_periodic(
        "retention sweep", interval, lambda: sweep(services, datetime.now(UTC)), log=log, report=lambda _: True
    )
