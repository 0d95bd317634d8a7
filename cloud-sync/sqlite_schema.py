"""Versioned box databases: `PRAGMA user_version` plus forward steps run at start-up (rules in docs/ota.md).

Step N (1-based) brings a database from version N-1 to N in one transaction, together with its new
user_version. A step is *additive* (new tables, columns, indexes; the release before can still read and
write the data) unless it is marked `breaking`. Rollback safety follows from two rules:

- A release on trial (`DOZOR_OTA_TRIAL=1`, i.e. before its health gate passed) never runs a breaking step:
  a rollback then meets only additive changes, which the previous release reads.
- A database at a version newer than the code knows is opened as is when its `schema_floor` (the oldest
  schema version whose code may still read it; raised by breaking steps) is within what the code knows, and
  refused with a clear error otherwise.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass


class SchemaTooNew(RuntimeError):
    """The database was changed by a newer release in a way this release cannot read."""


@dataclass(frozen=True)
class Step:
    apply: str | Callable[[sqlite3.Connection], None]  # SQL script, or a function for conditional changes
    breaking: bool = False  # once applied, releases before this step can no longer read the data


def version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def floor(db: sqlite3.Connection) -> int:
    exists = db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_floor'").fetchone()
    if not exists:
        return 0
    row = db.execute("SELECT MAX(reader) FROM schema_floor").fetchone()
    return int(row[0] or 0)


def on_trial() -> bool:
    return os.environ.get("DOZOR_OTA_TRIAL") == "1"


def migrate(db: sqlite3.Connection, name: str, steps: Sequence[Step], trial: bool | None = None) -> int:
    """Bring `db` (autocommit connection) forward; return its version afterwards."""
    trial = on_trial() if trial is None else trial
    current, known = version(db), len(steps)
    if current > known:
        needed = floor(db)
        if needed > known:
            raise SchemaTooNew(
                f"{name}: data at schema version {current} needs a release that reads version {needed} or later; "
                f"this release reads up to {known} (roll forward instead)"
            )
        return current  # newer but only additive changes: readable as is
    for number in range(current + 1, known + 1):
        step = steps[number - 1]
        if step.breaking and trial:
            break  # runs after the gate marked this release good, at its next start
        db.execute("BEGIN IMMEDIATE")
        try:
            if callable(step.apply):
                step.apply(db)
            else:
                for statement in _statements(step.apply):
                    db.execute(statement)
            if step.breaking:
                db.execute("CREATE TABLE IF NOT EXISTS schema_floor (reader INTEGER NOT NULL)")
                db.execute("INSERT INTO schema_floor (reader) VALUES (?)", (number,))
            db.execute(f"PRAGMA user_version = {number}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        current = number
    return current


def _statements(script: str) -> list[str]:
    """Split a script of plain DDL on ';' (executescript would commit our transaction)."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
