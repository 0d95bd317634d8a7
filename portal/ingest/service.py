"""What an upload does: store the bytes (when the checksum matched), then index them; plus gaps and holdings.

Order matters: object first, index row second. A crash between the two leaves an unreferenced object
(the retention sweeper's day sweep removes it); it never leaves a row pointing at nothing.
"""

import time
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from cloud_sync.segments import BOX_GAP_REASONS, GapReport, Holdings
from portal import metrics
from portal.archive import keys
from portal.archive.index import (
    AlreadyIndexed,
    Outcome,
    SegmentInfo,
    compare_indexed,
    dialect_insert,
    lock_camera,
    record_init,
    record_segment,
)
from portal.archive.storage import Storage
from portal.archive.tables import table_at_ingest
from portal.db import Database
from portal.ingest.body import ReceivedBody
from portal.models import ArchiveCamera, ArchiveGap, ArchiveHolding


class IngestConflict(Exception):
    """The same key was uploaded before with other bytes."""


def store_init(
    db: Database, storage: Storage, camera_id: str, run_id: str, body: ReceivedBody, now: datetime
) -> Outcome:
    key = keys.init_key(camera_id, run_id, body.sha256)
    storage.put(key, body.read(), sha256=body.sha256)
    with db.session() as session:
        outcome = record_init(session, camera_id, run_id, key, body.sha256, body.size, now)
    if outcome == "conflict":
        storage.delete([key])
    return outcome


def store_segment(db: Database, storage: Storage, info: SegmentInfo, body: ReceivedBody, now: datetime) -> Outcome:
    started = time.perf_counter()
    data = body.read()  # segments are small (MAX_SEGMENT_BYTES): one read serves the store and the table
    storage.put(info.object_key, data, sha256=body.sha256)
    try:
        with db.session() as session:  # one transaction: the run's init lookup, the table and the index writes
            outcome = record_segment(session, info, now, lambda init_key: table_at_ingest(storage, init_key, data))
    except AlreadyIndexed as taken:  # rolled back by the session: nothing of this upload was kept
        with db.session() as session:
            outcome = compare_indexed(session, taken, info.sha256)
    metrics.UPLOAD_SECONDS.observe(time.perf_counter() - started)
    if outcome == "conflict":
        storage.delete([info.object_key])  # its key differs from the indexed one (checksum in the key)
    elif outcome == "created":
        metrics.segment_ingested(body.size)
    return outcome


def check_gaps(report: GapReport) -> list[str]:
    """Problems with a gap report, each naming the item and field; empty when it is fine."""
    problems = []
    for i, gap in enumerate(report.gaps):
        if gap.end <= gap.start:
            problems.append(f"gaps[{i}].end: must be after start")
        if gap.reason not in BOX_GAP_REASONS:
            problems.append(f"gaps[{i}].reason: {gap.reason!r} is decided by the portal, not reported by a box")
        if gap.start.tzinfo is None or gap.end.tzinfo is None:
            problems.append(f"gaps[{i}]: times must carry a zone (UTC)")
    return problems


def record_gaps(session: Session, camera_id: str, report: GapReport, now: datetime) -> int:
    """Insert or extend the box's typed gaps; idempotent on (camera, start, reason)."""
    lock_camera(session, camera_id, now)
    for gap in report.gaps:
        stmt = dialect_insert(session, ArchiveGap).values(
            camera_id=camera_id, start=gap.start, end=gap.end, reason=gap.reason, created_at=now
        )
        # A gap reported while still open is reported again with its final end: keep the longer one.
        longer = ArchiveGap.__table__.c.end < stmt.excluded.end
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["camera_id", "start", "reason"], set_={"end": stmt.excluded.end}, where=longer
            )
        )
    return len(report.gaps)


def check_holdings(holdings: Holdings) -> list[str]:
    problems = []
    for i, item in enumerate(holdings.ranges):
        if item.end <= item.start:
            problems.append(f"ranges[{i}].end: must be after start")
        if item.start.tzinfo is None or item.end.tzinfo is None:
            problems.append(f"ranges[{i}]: times must carry a zone (UTC)")
    if holdings.reported_at.tzinfo is None:
        problems.append("reported_at: must carry a zone (UTC)")
    return problems


def record_holdings(session: Session, camera_id: str, holdings: Holdings, now: datetime) -> bool:
    """Replace what the box holds with its newest report; an older report than the stored one is ignored."""
    lock_camera(session, camera_id, now)
    state = session.get(ArchiveCamera, camera_id)
    assert state is not None  # lock_camera created the row
    session.refresh(state)
    if state.holdings_reported_at is not None and holdings.reported_at < state.holdings_reported_at:
        return False
    session.execute(delete(ArchiveHolding).where(ArchiveHolding.camera_id == camera_id))
    session.add_all(ArchiveHolding(camera_id=camera_id, start=r.start, end=r.end) for r in holdings.ranges)
    state.holdings_reported_at = holdings.reported_at
    return True
