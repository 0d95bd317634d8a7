"""Regenerate catalogue.sqlite3 and commands.sqlite3 with the code of the release before versioned stores.

git worktree add /tmp/prev a0d084c   # the last commit before PRAGMA user_version
python tests/ota/data/make_previous_release_dbs.py /tmp/prev tests/ota/data
"""

import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

checkout, out = Path(sys.argv[1]).resolve(), Path(sys.argv[2])
(checkout / "build" / "prev-path").mkdir(parents=True, exist_ok=True)
link = checkout / "build" / "prev-path" / "cloud_sync"
if not link.exists():
    link.symlink_to(checkout / "cloud-sync")
sys.path[:0] = [str(checkout), str(link.parent)]

import edge  # noqa: E402
from cloud_sync.command_store import CommandStore  # noqa: E402
from edge.archive.catalogue import Catalogue  # noqa: E402
from edge.archive.records import RunAnchor  # noqa: E402

assert edge.__file__.startswith(str(checkout)), edge.__file__
for old in out.glob("*.sqlite3*"):
    old.unlink()
cat = Catalogue(out / "catalogue.sqlite3", out / "archive")
t0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
run = "20261130T120000Z-abc123"
anchor = RunAnchor(anchor_ms=int(t0.timestamp() * 1000), media_origin=0, timescale=90000)
cat.add_run("cam1", run, t0, anchor, 800, "11" * 32)
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
for name in ("catalogue.sqlite3", "commands.sqlite3"):
    db = sqlite3.connect(out / name)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("PRAGMA journal_mode=DELETE")  # one self-contained file each
    db.close()
