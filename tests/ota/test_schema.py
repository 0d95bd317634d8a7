"""Versioned box databases: the previous release's files upgrade; rollback rules for newer data."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cloud_sync import command_store
from cloud_sync.command_store import CommandStore
from cloud_sync.sqlite_schema import SchemaTooNew, Step, migrate, version
from edge.archive import catalogue
from edge.archive.catalogue import Catalogue

DATA = Path(__file__).parent / "data"  # made by the release before versioning (make_previous_release_dbs.py)


def test_previous_release_catalogue_upgrades_and_keeps_its_rows(tmp_path: Path) -> None:
    shutil.copy(DATA / "catalogue.sqlite3", tmp_path / "catalogue.sqlite3")
    assert version(sqlite3.connect(tmp_path / "catalogue.sqlite3")) == 0
    cat = Catalogue(tmp_path / "catalogue.sqlite3", tmp_path / "archive")
    try:
        t0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
        assert [s.seq for s in cat.segments("cam1", t0, t0 + timedelta(minutes=1))] == [0, 1, 2, 3, 4]
        assert cat.ranges("cam1", t0, t0 + timedelta(minutes=1)) == [(t0, t0 + timedelta(seconds=30))]
        assert [g.reason for g in cat.gaps("cam1", t0 - timedelta(hours=1), t0)] == ["camera_unreachable"]
        assert len(cat.pending_uploads(10)) == 3
    finally:
        cat.close()
    assert version(sqlite3.connect(tmp_path / "catalogue.sqlite3")) == len(catalogue.STEPS)


def test_previous_release_command_store_upgrades(tmp_path: Path) -> None:
    shutil.copy(DATA / "commands.sqlite3", tmp_path / "commands.sqlite3")
    store = CommandStore(tmp_path / "commands.sqlite3")
    try:
        done = store.get("req-done")
        assert done is not None and done.ok and done.result == {"pong": True}
        assert [c.request_id for c in store.unfinished()] == ["req-open"]
        assert store.receive("req-done", "ping", {}) is not None  # still answered, never run again
    finally:
        store.close()
    assert version(sqlite3.connect(tmp_path / "commands.sqlite3")) == len(command_store.STEPS)


def test_command_store_without_the_newer_columns_gets_them(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "c.sqlite3")
    db.execute(
        "CREATE TABLE commands (request_id TEXT PRIMARY KEY, name TEXT NOT NULL, args TEXT NOT NULL, state TEXT "
        "NOT NULL, ok INTEGER, result TEXT, error TEXT, received_at TEXT NOT NULL, finished_at TEXT)"
    )
    db.commit()
    db.close()
    store = CommandStore(tmp_path / "c.sqlite3")
    store.receive("r1", "ping", {}, datetime.now(UTC) + timedelta(minutes=1))
    assert store.get("r1").expires_at is not None  # type: ignore[union-attr]
    store.close()


def _db(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


ADDITIVE = [Step("CREATE TABLE a (x INTEGER)"), Step("ALTER TABLE a ADD COLUMN y TEXT; CREATE INDEX a_y ON a (y)")]
BREAKING = [*ADDITIVE, Step("DROP TABLE a; CREATE TABLE b (z INTEGER)", breaking=True)]


def test_additive_newer_data_is_read_by_the_previous_release(tmp_path: Path) -> None:
    new = _db(tmp_path / "x.sqlite3")
    assert migrate(new, "x", ADDITIVE) == 2
    old = _db(tmp_path / "x.sqlite3")
    assert migrate(old, "x", ADDITIVE[:1]) == 2  # a rollback opens it as is
    old.execute("INSERT INTO a (x) VALUES (1)")


def test_breaking_step_waits_for_the_gate_and_then_refuses_old_code(tmp_path: Path) -> None:
    db = _db(tmp_path / "x.sqlite3")
    assert migrate(db, "x", BREAKING, trial=True) == 2  # on trial: only the additive steps
    assert migrate(_db(tmp_path / "x.sqlite3"), "x", ADDITIVE) == 2  # so a rollback still reads it
    assert migrate(db, "x", BREAKING, trial=False) == 3  # marked good: the breaking step runs
    with pytest.raises(SchemaTooNew, match="needs a release that reads version 3"):
        migrate(_db(tmp_path / "x.sqlite3"), "x", ADDITIVE)


def test_failed_step_leaves_the_version_alone(tmp_path: Path) -> None:
    db = _db(tmp_path / "x.sqlite3")
    with pytest.raises(sqlite3.OperationalError):
        migrate(db, "x", [Step("CREATE TABLE a (x)"), Step("ALTER TABLE nope ADD COLUMN z")])
    assert version(db) == 1
