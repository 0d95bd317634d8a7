"""Make the previous release's databases (run with /work/main's code, the release before OTA)."""
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, "/work/main")
sys.path.insert(0, "/work/main/build/mypy-path")
from cloud_sync.command_store import CommandStore
from edge.archive.catalogue import Catalogue
from edge.archive.records import RunAnchor

out = Path(sys.argv[1])
for f in out.glob("*.sqlite3*"):
    f.unlink()
cat = Catalogue(out / "catalogue.sqlite3", out / "archive")

import edge
assert edge.__file__.startswith("/work/main/"), edge.__file__
t0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
run = "20261130T120000Z-abc123"
cat.add_run("cam1", run, t0, RunAnchor(anchor_ms=int(t0.timestamp() * 1000), media_origin=0, timescale=90000), 800, "11" * 32)
for seq in range(5):
    cat.add_segment("cam1", run, seq, t0 + timedelta(seconds=6 * seq), 6.0, 1000 + seq, f"{seq:02x}" * 32, True)
cat.mark_uploaded([1, 2])
cat.add_gap("cam1", t0 - timedelta(minutes=5), t0, "camera_unreachable")
cat.close()
store = CommandStore(out / "commands.sqlite3")
store.receive("req-done", "ping", {}, datetime(2026, 11, 30, 13, tzinfo=UTC))
store.start("req-done")
store.finish("req-done", True, {"pong": True})
store.receive("req-open", "config.set", {"retention_days": 9}, datetime(2026, 12, 7, tzinfo=UTC))
store.close()
import sqlite3
for name in ("catalogue.sqlite3", "commands.sqlite3"):
    db = sqlite3.connect(out / name)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("PRAGMA journal_mode=DELETE")
    print(name, db.execute("PRAGMA user_version").fetchone())
    db.close()
