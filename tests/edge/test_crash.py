"""kill -9 of `dozor edge run` mid-segment, again and again: nothing committed is lost or orphaned.

Scaled: 6 rounds by default (the issue asks 20; set DOZOR_EDGE_CRASH_ROUNDS=20 to run them all).
"""

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from edge.archive.catalogue import Catalogue
from edge.archive.reconcile import reconcile
from tests.fixtures.ports import wait_until

pytestmark = pytest.mark.slow  # kills `dozor edge run` again and again

WINDOW = (datetime(2020, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
ROUNDS = int(os.environ.get("DOZOR_EDGE_CRASH_ROUNDS", "6"))
SEGMENT = 1.0


def start_recorder(config: Path, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(Path(sys.executable).parent / "dozor"), "edge", "run", "--config", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def files_on_disk(archive: Path) -> set[Path]:
    return {p for p in archive.rglob("*.m4s")}


def assert_agree(catalogue: Catalogue, archive: Path) -> None:
    rows = catalogue.segments("cam1", *WINDOW)
    on_disk = files_on_disk(archive)
    assert {r.path for r in rows} == on_disk
    assert all(r.path.stat().st_size == r.size for r in rows)
    for run in catalogue.runs("cam1"):
        assert run.init_path.exists(), run


def test_kill_9_mid_segment_repeatedly(tmp_path: Path, rtsp_server) -> None:
    data = tmp_path / "data"
    config = tmp_path / "box.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "device_id": "box1",
                "data_dir": str(data),
                "cameras": [{"id": "cam1", "url": rtsp_server.url("cam2"), "segment_seconds": int(SEGMENT)}],
            }
        )
    )
    db = data / "catalogue.sqlite3"
    rng = random.Random(7)
    killed_at: datetime | None = None
    last_before_kill: datetime | None = None
    for round_no in range(ROUNDS):
        proc = start_recorder(config, tmp_path / "recorder.log")
        try:
            catalogue = wait_until(lambda: db.exists() and Catalogue(db), 60, message="catalogue")
            runs_before = len(catalogue.runs("cam1"))

            # wait for this process's run to commit two segments, then kill it somewhere inside the third
            def second_segment(catalogue=catalogue, runs_before=runs_before) -> bool:
                runs = catalogue.runs("cam1")
                return len(runs) > runs_before and len(catalogue.run_segments("cam1", runs[-1].run_id)) >= 2

            wait_until(second_segment, 60, interval=0.1, message=f"round {round_no}: recording")
            if killed_at is not None:
                newest = catalogue.runs("cam1")[-1]
                first = catalogue.run_segments("cam1", newest.run_id)[0]
                gaps = [g for g in catalogue.gaps("cam1", *WINDOW) if g.reason == "box_down"]
                assert len(gaps) == round_no, gaps
                assert abs((gaps[-1].start - last_before_kill).total_seconds()) < 0.01
                assert gaps[-1].end == first.start
            time.sleep(rng.uniform(0.1, 0.9) * SEGMENT)
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
            killed_at = datetime.now(UTC)
        catalogue.close()
        # what the next start-up does first: reconcile; then catalogue and files must agree
        catalogue = Catalogue(db)
        report = reconcile(catalogue, data, lambda: False)
        assert not report.dropped_rows, report
        assert_agree(catalogue, data / "archive")
        latest = catalogue.latest_segment("cam1")
        last_before_kill = latest.end
        # at most the segment in flight is lost
        assert (killed_at - latest.end).total_seconds() <= SEGMENT + 1.5, (killed_at, latest.end)
        catalogue.close()
        assert not any(p.name == "ffmpeg" for p in children_of(proc.pid))
    catalogue = Catalogue(db)
    assert len(catalogue.runs("cam1")) == ROUNDS
    assert all(r.end_reason == "box_down" for r in catalogue.runs("cam1"))


def children_of(pid: int) -> list:
    import psutil

    return [p for p in psutil.process_iter(["ppid", "name"]) if p.info["ppid"] == pid]
