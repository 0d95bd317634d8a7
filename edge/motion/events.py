"""Motion events in the box's catalogue (same SQLite file, own table), kept until sent and then with the video.

Each event is sent twice over MQTT (store-and-forward): its start (with the thumbnail, so a notification
goes out while it lasts) and its end. `sent_start` / `sent_end` flip only once the broker acknowledged
the message, so an uplink outage leaves them to be sent on the next connection; none is lost.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from edge.archive.catalogue import Catalogue
from edge.archive.layout import from_ms, to_ms

SCHEMA = """
CREATE TABLE IF NOT EXISTS motion_events (
    id TEXT PRIMARY KEY, camera_id TEXT NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER,
    peak_area REAL NOT NULL DEFAULT 0, thumbnail BLOB,
    sent_start INTEGER NOT NULL DEFAULT 0, sent_end INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS motion_camera_start ON motion_events (camera_id, start_ms);
CREATE INDEX IF NOT EXISTS motion_unsent ON motion_events (start_ms) WHERE sent_start = 0 OR sent_end = 0;
"""
_COLS = "id, camera_id, start_ms, end_ms, peak_area, thumbnail, sent_start, sent_end"


@dataclass(frozen=True)
class MotionEvent:
    id: str
    camera_id: str
    start: datetime
    end: datetime | None
    peak_area: float
    thumbnail: bytes | None
    sent_start: bool
    sent_end: bool


def _event(row: tuple) -> MotionEvent:
    eid, camera_id, start_ms, end_ms, area, thumb, sent_start, sent_end = row
    return MotionEvent(
        eid,
        camera_id,
        from_ms(start_ms),
        from_ms(end_ms) if end_ms is not None else None,
        float(area),
        bytes(thumb) if thumb is not None else None,
        bool(sent_start),
        bool(sent_end),
    )


class MotionLog:
    """The motion_events table of the box's catalogue; thread-safe through the catalogue's lock."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        with catalogue.transaction() as db:
            for statement in filter(str.strip, SCHEMA.split(";")):
                db.execute(statement)

    def start(self, camera_id: str, at: datetime, area: float, thumbnail: bytes | None) -> str:
        event_id = uuid.uuid4().hex
        with self.catalogue.transaction() as db:
            db.execute(
                "INSERT INTO motion_events (id, camera_id, start_ms, peak_area, thumbnail) VALUES (?, ?, ?, ?, ?)",
                (event_id, camera_id, to_ms(at), area, thumbnail),
            )
        return event_id

    def end(self, event_id: str, at: datetime, peak_area: float) -> None:
        with self.catalogue.transaction() as db:
            db.execute(
                "UPDATE motion_events SET end_ms = MAX(start_ms, ?), peak_area = MAX(peak_area, ?) WHERE id = ?",
                (to_ms(at), peak_area, event_id),
            )

    def close_open(self, camera_id: str | None = None) -> int:
        """Events left open by a crash or a stopped camera end where they started (their end is unknown)."""
        sql = "UPDATE motion_events SET end_ms = start_ms WHERE end_ms IS NULL"
        params: tuple = ()
        if camera_id is not None:
            sql += " AND camera_id = ?"
            params = (camera_id,)
        with self.catalogue.transaction() as db:
            return db.execute(sql, params).rowcount

    def get(self, event_id: str) -> MotionEvent | None:
        with self.catalogue.transaction() as db:
            row = db.execute(f"SELECT {_COLS} FROM motion_events WHERE id = ?", (event_id,)).fetchone()
        return _event(row) if row else None

    def events(self, camera_id: str, start: datetime, end: datetime) -> list[MotionEvent]:
        """Events overlapping [start, end), oldest first."""
        with self.catalogue.transaction() as db:
            rows = db.execute(
                f"SELECT {_COLS} FROM motion_events WHERE camera_id = ? AND start_ms < ? "
                "AND COALESCE(end_ms, start_ms) >= ? ORDER BY start_ms",
                (camera_id, to_ms(end), to_ms(start)),
            ).fetchall()
        return [_event(r) for r in rows]

    def unsent(self, limit: int = 100) -> list[MotionEvent]:
        """Events with a start or (finished) end the portal has not acknowledged, oldest first."""
        with self.catalogue.transaction() as db:
            rows = db.execute(
                f"SELECT {_COLS} FROM motion_events WHERE sent_start = 0 OR (sent_end = 0 AND end_ms IS NOT NULL) "
                "ORDER BY start_ms LIMIT ?",
                (limit,),
            ).fetchall()
        return [_event(r) for r in rows]

    def mark_sent(self, event_id: str, phase: str) -> None:
        column = {"start": "sent_start", "end": "sent_end"}[phase]
        with self.catalogue.transaction() as db:
            db.execute(f"UPDATE motion_events SET {column} = 1 WHERE id = ?", (event_id,))

    def prune(self, before: datetime) -> int:
        """Drop sent events older than the archive's retention (unsent ones wait, like segments)."""
        with self.catalogue.transaction() as db:
            return db.execute(
                "DELETE FROM motion_events WHERE start_ms < ? AND sent_start = 1 AND sent_end = 1", (to_ms(before),)
            ).rowcount
