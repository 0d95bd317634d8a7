"""What the scale and fault tests check in the database against what the simulated boxes did."""

from collections import Counter
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import func, select

from portal.db import Database
from portal.models import ArchiveRun, ArchiveSegment, DeviceEvent, DeviceHealth


def indexed_segments(db: Database) -> set[tuple[str, str, int]]:
    with db.session() as s:
        rows = s.execute(
            select(ArchiveRun.camera_id, ArchiveRun.run_id, ArchiveSegment.seq).join(
                ArchiveSegment, ArchiveSegment.run_pk == ArchiveRun.id
            )
        )
        return {(c, r, q) for c, r, q in rows}


def event_counts(db: Database) -> Counter[tuple[str, str]]:
    with db.session() as s:
        rows = s.execute(select(DeviceEvent.device_id, DeviceEvent.event_id))
        return Counter((d, e) for d, e in rows)


class BoxLike(Protocol):
    """A simulated box (dozor.sim.boxes.SimBox) or what a simulator process reported of one (BoxRecord)."""

    device_id: str
    stored: set[tuple[str, str, int]]
    events: list[str]


def published_events(boxes: Sequence[BoxLike]) -> set[tuple[str, str]]:
    return {(box.device_id, event_id) for box in boxes for event_id in box.events}


def stored_segments(boxes: Sequence[BoxLike]) -> set[tuple[str, str, int]]:
    return set().union(*(box.stored for box in boxes))


def boxes_with_telemetry(db: Database) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(DeviceHealth).where(DeviceHealth.telemetry_at.is_not(None)))
