"""The box's record of commands it received: a redelivered request id is answered, never executed again.

SQLite in the box's data dir, committed before the command runs, so a box that crashes or loses power
mid-command does not run it a second time after it comes back (it reports it as interrupted instead).
Each row keeps the command's deadline, so one recovered after a crash is still refused once it has passed.
"""

import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cloud_sync.sqlite_schema import Step, migrate

SCHEMA = """
CREATE TABLE IF NOT EXISTS commands (
    request_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    args TEXT NOT NULL,
    state TEXT NOT NULL,            -- received | running | done
    ok INTEGER,
    result TEXT,
    error TEXT,
    received_at TEXT NOT NULL,
    finished_at TEXT,
    expires_at TEXT,                -- the portal's deadline (UTC ISO); NULL only in rows of older firmware
    status TEXT                     -- ok | failed | expired | interrupted
);
"""
ADDED_COLUMNS = {"expires_at": "TEXT", "status": "TEXT"}  # a store written by older firmware lacks these


def _add_columns(db: sqlite3.Connection) -> None:
    have = {row[1] for row in db.execute("PRAGMA table_info(commands)")}
    for column, kind in ADDED_COLUMNS.items():
        if column not in have:
            db.execute(f"ALTER TABLE commands ADD COLUMN {column} {kind}")


# Schema versions (PRAGMA user_version, cloud_sync/sqlite_schema.py): append steps, never edit a shipped one.
STEPS = (Step(SCHEMA), Step(_add_columns))


@dataclass(frozen=True)
class StoredCommand:
    request_id: str
    name: str
    args: dict
    state: str
    ok: bool | None
    result: dict
    error: str
    expires_at: datetime | None = None
    received_at: datetime | None = None
    status: str | None = None


class CommandStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # the point of this table is to survive power cuts
        migrate(self._db, f"command store {path}", STEPS)
        self._lock = threading.Lock()

    def receive(
        self, request_id: str, name: str, args: dict, expires_at: datetime | None = None
    ) -> StoredCommand | None:
        """Record a new command; None if it is new, else what we already know of it."""
        now = datetime.now(UTC).isoformat()
        deadline = expires_at.astimezone(UTC).isoformat() if expires_at is not None else None
        with self._lock:
            cur = self._db.execute(
                "INSERT OR IGNORE INTO commands (request_id, name, args, state, received_at, expires_at) "
                "VALUES (?, ?, ?, 'received', ?, ?)",
                (request_id, name, json.dumps(args), now, deadline),
            )
            if cur.rowcount == 1:
                return None
            return self._get(request_id)

    def start(self, request_id: str) -> None:
        with self._lock:
            self._db.execute("UPDATE commands SET state='running' WHERE request_id=?", (request_id,))

    def finish(self, request_id: str, ok: bool, result: dict, error: str = "", status: str | None = None) -> None:
        status = status or ("ok" if ok else "failed")
        with self._lock:
            self._db.execute(
                "UPDATE commands SET state='done', ok=?, result=?, error=?, finished_at=?, status=? WHERE request_id=?",
                (int(ok), json.dumps(result), error, datetime.now(UTC).isoformat(), status, request_id),
            )

    def unfinished(self) -> list[StoredCommand]:
        """Commands the box received but never finished (a crash or power cut came in between)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT request_id FROM commands WHERE state != 'done' ORDER BY received_at"
            ).fetchall()
            return [self._get(r[0]) for r in rows]  # type: ignore[misc]

    def get(self, request_id: str) -> StoredCommand | None:
        with self._lock:
            return self._get(request_id)

    def prune(self, older_than: timedelta = timedelta(days=30)) -> int:
        cutoff = (datetime.now(UTC) - older_than).isoformat()
        with self._lock:
            return self._db.execute("DELETE FROM commands WHERE state='done' AND received_at < ?", (cutoff,)).rowcount

    def close(self) -> None:
        self._db.close()

    def _get(self, request_id: str) -> StoredCommand | None:
        row = self._db.execute(
            "SELECT request_id, name, args, state, ok, result, error, expires_at, received_at, status "
            "FROM commands WHERE request_id=?",
            (request_id,),
        ).fetchone()
        if row is None:
            return None
        return StoredCommand(
            row[0],
            row[1],
            json.loads(row[2]),
            row[3],
            None if row[4] is None else bool(row[4]),
            json.loads(row[5]) if row[5] else {},
            row[6] or "",
            _when(row[7]),
            _when(row[8]),
            row[9],
        )


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
