"""The segment catalogue: SQLite in WAL mode, one shared connection behind a lock (thread-safe).

Sized for 30 days x 8 cameras of 6 s segments (~3.5 million rows): times are integer milliseconds (UTC),
checksums 32-byte blobs, paths derived from the row (see layout.py) rather than stored.
A row exists only after its file was fsynced and renamed into place (see commit.py).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from cloud_sync.sqlite_schema import Step, migrate
from edge.archive import layout
from edge.archive.layout import from_ms, to_ms
from edge.archive.records import GapRecord, RunAnchor, RunRecord, SegmentRecord
from edge.archive.spans import CONTIGUOUS_MS, MAX_SEGMENT_MS, span_add, span_rebuild, span_remove

__all__ = ["CONTIGUOUS_MS", "MAX_SEGMENT_MS", "Catalogue", "GapRecord", "RunAnchor", "RunRecord", "SegmentRecord"]


SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    camera_id TEXT NOT NULL, run_id TEXT NOT NULL,
    start_ms INTEGER NOT NULL, end_ms INTEGER, end_reason TEXT,
    init_sha256 BLOB NOT NULL, init_size INTEGER NOT NULL, init_uploaded INTEGER NOT NULL DEFAULT 0,
    anchor_ms INTEGER NOT NULL, media_origin INTEGER NOT NULL, timescale INTEGER NOT NULL,
    PRIMARY KEY (camera_id, run_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS segments (
    id INTEGER PRIMARY KEY,
    camera_id TEXT NOT NULL, run_id TEXT NOT NULL, seq INTEGER NOT NULL,
    start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL,
    size INTEGER NOT NULL, sha256 BLOB NOT NULL,
    clock_synced INTEGER NOT NULL, uploaded INTEGER NOT NULL DEFAULT 0,
    UNIQUE (camera_id, run_id, seq)
);
CREATE INDEX IF NOT EXISTS segments_camera_start ON segments (camera_id, start_ms);
CREATE INDEX IF NOT EXISTS segments_pending ON segments (start_ms) WHERE uploaded = 0;
CREATE INDEX IF NOT EXISTS segments_done ON segments (start_ms) WHERE uploaded = 1;
CREATE TABLE IF NOT EXISTS gaps (
    id INTEGER PRIMARY KEY,
    camera_id TEXT NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL,
    reason TEXT NOT NULL, reported INTEGER NOT NULL DEFAULT 0,
    UNIQUE (camera_id, start_ms, reason)
);
CREATE INDEX IF NOT EXISTS gaps_camera_start ON gaps (camera_id, start_ms);
CREATE INDEX IF NOT EXISTS gaps_unreported ON gaps (id) WHERE reported = 0;
-- Contiguous recorded spans per camera, kept in step with segments: "a day's ranges" reads a few rows.
CREATE TABLE IF NOT EXISTS spans (
    id INTEGER PRIMARY KEY, camera_id TEXT NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS spans_camera_start ON spans (camera_id, start_ms);
CREATE INDEX IF NOT EXISTS spans_camera_end ON spans (camera_id, end_ms);
"""

# Schema versions (PRAGMA user_version, cloud_sync/sqlite_schema.py). Append steps, never edit one that shipped;
# version 1 is the schema of the releases before versioning (user_version 0), so it is a no-op on their files.
STEPS = (Step(SCHEMA),)

_SEG_COLS = "id, camera_id, run_id, seq, start_ms, end_ms, size, sha256, clock_synced, uploaded"
_RUN_COLS = "camera_id, run_id, start_ms, end_ms, end_reason, init_uploaded, init_size, init_sha256"


class Catalogue:
    """Thread-safe catalogue of runs, segments and gaps."""

    def __init__(self, db_path: str | Path, archive_root: str | Path | None = None) -> None:
        self.db_path = Path(db_path)
        self.archive_root = Path(archive_root) if archive_root else self.db_path.parent / "archive"
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.db_path, check_same_thread=False, isolation_level=None)
        # WAL + NORMAL: a crashed process loses nothing committed; a power cut may lose the last
        # transactions, which start-up reconciliation re-adds from the fsynced files.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        migrate(self._db, f"catalogue {self.db_path}", STEPS)
        self.rebuild_spans(only_if_missing=True)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, params: Iterable[object] = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, tuple(params)).fetchall()

    # --- records -------------------------------------------------------------------------------------

    def _segment(self, row: tuple) -> SegmentRecord:
        seg_id, camera_id, run_id, seq, start_ms, end_ms, size, sha, synced, uploaded = row
        return SegmentRecord(
            id=seg_id,
            camera_id=camera_id,
            run_id=run_id,
            seq=seq,
            start=from_ms(start_ms),
            duration=(end_ms - start_ms) / 1000,
            size=size,
            sha256=bytes(sha).hex(),
            path=layout.segment_path(self.archive_root, camera_id, run_id, seq, start_ms),
            clock_synced=bool(synced),
            uploaded=bool(uploaded),
        )

    def _run(self, row: tuple) -> RunRecord:
        camera_id, run_id, start_ms, end_ms, reason, init_uploaded, init_size, init_sha = row
        return RunRecord(
            camera_id=camera_id,
            run_id=run_id,
            start=from_ms(start_ms),
            end=from_ms(end_ms) if end_ms is not None else None,
            end_reason=reason,
            init_path=layout.init_path(self.archive_root, camera_id, run_id),
            init_uploaded=bool(init_uploaded),
            init_size=init_size,
            init_sha256=bytes(init_sha).hex(),
        )

    @staticmethod
    def _gap(row: tuple) -> GapRecord:
        gap_id, camera_id, start_ms, end_ms, reason, reported = row
        return GapRecord(gap_id, camera_id, from_ms(start_ms), from_ms(end_ms), reason, bool(reported))

    # --- writing -------------------------------------------------------------------------------------

    def add_run(
        self, camera_id: str, run_id: str, start: datetime, anchor: RunAnchor, init_size: int, init_sha256: str
    ) -> RunRecord:
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO runs (camera_id, run_id, start_ms, init_sha256, init_size, anchor_ms,"
                " media_origin, timescale) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    camera_id,
                    run_id,
                    to_ms(start),
                    bytes.fromhex(init_sha256),
                    init_size,
                    anchor.anchor_ms,
                    anchor.media_origin,
                    anchor.timescale,
                ),
            )
        run = self.run(camera_id, run_id)
        assert run is not None
        return run

    def add_segment(
        self,
        camera_id: str,
        run_id: str,
        seq: int,
        start: datetime,
        duration: float,
        size: int,
        sha256: str,
        clock_synced: bool,
        uploaded: bool = False,
    ) -> SegmentRecord:
        start_ms = to_ms(start)
        end_ms = start_ms + max(1, round(duration * 1000))
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO segments (camera_id, run_id, seq, start_ms, end_ms, size, sha256, clock_synced,"
                " uploaded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    camera_id,
                    run_id,
                    seq,
                    start_ms,
                    end_ms,
                    size,
                    bytes.fromhex(sha256),
                    int(clock_synced),
                    int(uploaded),
                ),
            )
            seg_id = cursor.lastrowid
            span_add(db, camera_id, start_ms, end_ms)
        return self._segment(
            (
                seg_id,
                camera_id,
                run_id,
                seq,
                start_ms,
                end_ms,
                size,
                bytes.fromhex(sha256),
                int(clock_synced),
                int(uploaded),
            )
        )

    def end_run(self, camera_id: str, run_id: str, end: datetime, reason: str) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE runs SET end_ms = ?, end_reason = ? WHERE camera_id = ? AND run_id = ?",
                (to_ms(end), reason, camera_id, run_id),
            )

    def add_gap(self, camera_id: str, start: datetime, end: datetime, reason: str) -> GapRecord | None:
        """Record a typed gap; None when it is empty or already recorded."""
        start_ms, end_ms = to_ms(start), to_ms(end)
        if end_ms <= start_ms:
            return None
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO gaps (camera_id, start_ms, end_ms, reason) VALUES (?, ?, ?, ?)",
                (camera_id, start_ms, end_ms, reason),
            )
            if not cursor.rowcount:
                return None
            gap_id = cursor.lastrowid
            assert gap_id is not None  # a row was inserted
        return GapRecord(gap_id, camera_id, from_ms(start_ms), from_ms(end_ms), reason, False)

    def delete_segments(self, ids: Iterable[int]) -> None:
        ids = list(ids)
        with self.transaction() as db:
            extents: dict[str, tuple[int, int]] = {}
            for chunk in range(0, len(ids), 500):
                part = ids[chunk : chunk + 500]
                marks = ",".join("?" * len(part))
                for camera, lo, hi in db.execute(
                    f"SELECT camera_id, MIN(start_ms), MAX(end_ms) FROM segments WHERE id IN ({marks})"
                    " GROUP BY camera_id",
                    part,
                ):
                    old = extents.get(camera, (lo, hi))
                    extents[camera] = (min(old[0], lo), max(old[1], hi))
            db.executemany("DELETE FROM segments WHERE id = ?", ((i,) for i in ids))
            for camera, (lo, hi) in extents.items():
                span_remove(db, camera, lo, hi)

    def delete_run(self, camera_id: str, run_id: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM runs WHERE camera_id = ? AND run_id = ?", (camera_id, run_id))

    # --- the interface cloud-sync and the technician UI use ----------------------------------------------

    def pending_uploads(
        self,
        limit: int = 100,
        camera_id: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[SegmentRecord]:
        """Segments not uploaded yet, oldest first; start/end keep those overlapping [start, end)."""
        where: list[str] = ["uploaded = 0"]
        params: list[object] = []
        if camera_id is not None:
            where.append("camera_id = ?")
            params.append(camera_id)
        if start is not None:
            where.append("end_ms > ?")
            params.append(to_ms(start))
        if end is not None:
            where.append("start_ms < ?")
            params.append(to_ms(end))
        rows = self._query(
            f"SELECT {_SEG_COLS} FROM segments WHERE {' AND '.join(where)} ORDER BY start_ms LIMIT ?",
            [*params, limit],
        )
        return [self._segment(r) for r in rows]

    def mark_uploaded(self, ids: Iterable[int]) -> None:
        with self.transaction() as db:
            db.executemany("UPDATE segments SET uploaded = 1 WHERE id = ?", ((i,) for i in ids))

    def runs_pending_init(self, camera_id: str | None = None) -> list[RunRecord]:
        sql = f"SELECT {_RUN_COLS} FROM runs WHERE init_uploaded = 0"
        params: list[object] = []
        if camera_id is not None:
            sql += " AND camera_id = ?"
            params.append(camera_id)
        return [self._run(r) for r in self._query(sql + " ORDER BY start_ms", params)]

    def mark_init_uploaded(self, camera_id: str, run_id: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE runs SET init_uploaded = 1 WHERE camera_id = ? AND run_id = ?", (camera_id, run_id))

    def run(self, camera_id: str, run_id: str) -> RunRecord | None:
        rows = self._query(f"SELECT {_RUN_COLS} FROM runs WHERE camera_id = ? AND run_id = ?", (camera_id, run_id))
        return self._run(rows[0]) if rows else None

    def runs(self, camera_id: str | None = None) -> list[RunRecord]:
        sql, params = f"SELECT {_RUN_COLS} FROM runs", []
        if camera_id is not None:
            sql, params = sql + " WHERE camera_id = ?", [camera_id]
        return [self._run(r) for r in self._query(sql + " ORDER BY start_ms", params)]

    def run_anchor(self, camera_id: str, run_id: str) -> RunAnchor | None:
        rows = self._query(
            "SELECT anchor_ms, media_origin, timescale FROM runs WHERE camera_id = ? AND run_id = ?",
            (camera_id, run_id),
        )
        return RunAnchor(*rows[0]) if rows else None

    def open_runs(self) -> list[RunRecord]:
        return [self._run(r) for r in self._query(f"SELECT {_RUN_COLS} FROM runs WHERE end_ms IS NULL")]

    def unreported_gaps(self, limit: int = 100) -> list[GapRecord]:
        rows = self._query(
            "SELECT id, camera_id, start_ms, end_ms, reason, reported FROM gaps WHERE reported = 0 ORDER BY id LIMIT ?",
            (limit,),
        )
        return [self._gap(r) for r in rows]

    def mark_gaps_reported(self, ids: Iterable[int]) -> None:
        with self.transaction() as db:
            db.executemany("UPDATE gaps SET reported = 1 WHERE id = ?", ((i,) for i in ids))

    def ranges(self, camera_id: str, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """Recorded ranges overlapping [start, end): contiguous segments merged, clipped to the window."""
        t1, t2 = to_ms(start), to_ms(end)
        rows = self._query(
            "SELECT start_ms, end_ms FROM spans WHERE camera_id = ? AND end_ms > ? AND start_ms < ? ORDER BY start_ms",
            (camera_id, t1, t2),
        )
        return [(from_ms(max(a, t1)), from_ms(min(b, t2))) for a, b in rows]

    def gaps(self, camera_id: str, start: datetime, end: datetime) -> list[GapRecord]:
        rows = self._query(
            "SELECT id, camera_id, start_ms, end_ms, reason, reported FROM gaps"
            " WHERE camera_id = ? AND start_ms < ? AND end_ms > ? ORDER BY start_ms",
            (camera_id, to_ms(end), to_ms(start)),
        )
        return [self._gap(r) for r in rows]

    def backlog(self) -> dict[str, tuple[int, int]]:
        rows = self._query("SELECT camera_id, COUNT(*), SUM(size) FROM segments WHERE uploaded = 0 GROUP BY camera_id")
        return {camera: (count, size or 0) for camera, count, size in rows}

    def holdings(self, camera_id: str) -> list[tuple[datetime, datetime]]:
        """Every range of this camera still on disk (uploaded or not)."""
        first = self._query("SELECT MIN(start_ms), MAX(end_ms) FROM segments WHERE camera_id = ?", (camera_id,))[0]
        if first[0] is None:
            return []
        return self.ranges(camera_id, from_ms(first[0]), from_ms(first[1]))

    def segments(self, camera_id: str, start: datetime, end: datetime) -> list[SegmentRecord]:
        rows = self._query(
            f"SELECT {_SEG_COLS} FROM segments WHERE camera_id = ? AND start_ms >= ? AND start_ms < ?"
            " AND end_ms > ? ORDER BY start_ms",
            (camera_id, to_ms(start) - MAX_SEGMENT_MS, to_ms(end), to_ms(start)),
        )
        return [self._segment(r) for r in rows]

    def latest_segment(self, camera_id: str) -> SegmentRecord | None:
        rows = self._query(
            f"SELECT {_SEG_COLS} FROM segments WHERE camera_id = ? ORDER BY start_ms DESC LIMIT 1", (camera_id,)
        )
        return self._segment(rows[0]) if rows else None

    def run_segments(self, camera_id: str, run_id: str) -> list[SegmentRecord]:
        rows = self._query(
            f"SELECT {_SEG_COLS} FROM segments WHERE camera_id = ? AND run_id = ? ORDER BY seq", (camera_id, run_id)
        )
        return [self._segment(r) for r in rows]

    def last_known_end(self, camera_id: str) -> datetime | None:
        """The end of what we know about a camera: its latest segment or gap, whichever is later."""
        rows = self._query(
            "SELECT MAX(e) FROM (SELECT MAX(end_ms) AS e FROM segments WHERE camera_id = ?"
            " UNION ALL SELECT MAX(end_ms) FROM gaps WHERE camera_id = ?)",
            (camera_id, camera_id),
        )
        return from_ms(rows[0][0]) if rows and rows[0][0] is not None else None

    # --- bookkeeping for eviction and reconciliation ---------------------------------------------------

    def total(self) -> tuple[int, int]:
        """(segment count, catalogued bytes of segments and inits)."""
        count, seg_bytes = self._query("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM segments")[0]
        init_bytes = self._query("SELECT COALESCE(SUM(init_size), 0) FROM runs")[0][0]
        return count, seg_bytes + init_bytes

    def oldest(
        self, uploaded: bool, limit: int, before_ms: int | None = None, clock_synced: bool | None = None
    ) -> list[SegmentRecord]:
        sql = f"SELECT {_SEG_COLS} FROM segments WHERE uploaded = ?"
        params: list[object] = [int(uploaded)]
        if before_ms is not None:
            sql += " AND start_ms < ?"
            params.append(before_ms)
        if clock_synced is not None:
            sql += " AND clock_synced = ?"
            params.append(int(clock_synced))
        rows = self._query(sql + " ORDER BY start_ms LIMIT ?", [*params, limit])
        return [self._segment(r) for r in rows]

    def empty_ended_runs(self) -> list[RunRecord]:
        """Ended runs with no segment left: their init can go."""
        rows = self._query(
            f"SELECT {_RUN_COLS} FROM runs r WHERE end_ms IS NOT NULL AND NOT EXISTS"
            " (SELECT 1 FROM segments s WHERE s.camera_id = r.camera_id AND s.run_id = r.run_id)"
        )
        return [self._run(r) for r in rows]

    def cameras(self) -> list[str]:
        rows = self._query("SELECT DISTINCT camera_id FROM runs UNION SELECT DISTINCT camera_id FROM gaps")
        return sorted(r[0] for r in rows)

    def hours(self, camera_id: str) -> set[int]:
        """Start (ms) of every UTC hour that holds a segment of this camera."""
        rows = self._query(
            "SELECT DISTINCT start_ms / ? FROM segments WHERE camera_id = ?", (layout.HOUR_MS, camera_id)
        )
        return {r[0] * layout.HOUR_MS for r in rows}

    def rebuild_spans(self, only_if_missing: bool = False) -> None:
        """Recompute all spans from the segments (after bulk loads, or a catalogue from before spans)."""
        with self.transaction() as db:
            if only_if_missing and db.execute("SELECT 1 FROM spans LIMIT 1").fetchone():
                return
            db.execute("DELETE FROM spans")
            for (camera,) in db.execute("SELECT DISTINCT camera_id FROM segments").fetchall():
                span_rebuild(db, camera, -(2**62), 2**62)

    def segments_in_hour(self, camera_id: str, hour_ms: int) -> list[SegmentRecord]:
        rows = self._query(
            f"SELECT {_SEG_COLS} FROM segments WHERE camera_id = ? AND start_ms >= ? AND start_ms < ?",
            (camera_id, hour_ms, hour_ms + layout.HOUR_MS),
        )
        return [self._segment(r) for r in rows]
