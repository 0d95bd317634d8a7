"""Benchmark: one-hour clip download, time to first byte and total, on PostgreSQL + SeaweedFS.

Baseline (same run, same store, same HTTP server): what common NVRs do - fetch the hour's segment files, remux
them with ffmpeg's concat demuxer (-c copy) into one MP4 file, then serve that file. One warm-up each, then
alternating rounds; medians. Prints JSON.
Run: make bench  (= pytest -s tests/bench), or .venv/bin/pytest -s tests/bench/bench_archive_clip.py
"""

import json
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.responses import FileResponse
from sqlalchemy import select
from starlette.background import BackgroundTask

from portal.archive.storage import storage_of
from portal.models import ArchiveRun, ArchiveSegment
from tests.fixtures.ports import free_port, wait_until
from tests.portal_archive.conftest import _settings, make_world, run_id
from tests.portal_archive.media import encode

HOUR_SEGMENTS = 600
REPETITIONS = 5


def _serve(app) -> tuple[uvicorn.Server, str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    wait_until(lambda: server.started, timeout=30, message="uvicorn to start")
    return server, f"http://127.0.0.1:{port}"


def _timed_download(url: str, params: dict, headers: dict) -> tuple[float, float, int]:
    start = time.perf_counter()
    first = None
    size = 0
    with httpx.stream("GET", url, params=params, headers=headers, timeout=300) as response:
        assert response.status_code == 200, response.read()
        for chunk in response.iter_raw():
            if first is None and chunk:
                first = time.perf_counter() - start
            size += len(chunk)
    return first, time.perf_counter() - start, size


def _remux_baseline(storage, keys: list[str], init_key: str, work: Path) -> Path:
    """Fetch each segment (one after another) as a standalone file, then ffmpeg concat demuxer, -c copy."""
    init = storage.read(init_key)
    lines = []
    for i, key in enumerate(keys):
        path = work / f"{i:05d}.mp4"
        path.write_bytes(init + storage.read(key))
        lines.append(f"file '{path}'")
    (work / "list.txt").write_text("\n".join(lines))
    subprocess.run(
        [
            "ffmpeg",
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "concat",
            "-safe",
            "0",
            "-i",
            str(work / "list.txt"),
            "-c",
            "copy",
            str(work / "out.mp4"),
        ],
        check=True,
    )
    return work / "out.mp4"


def _add_baseline_route(app, storage, keys: list[str], init_key: str) -> None:
    """The baseline served by the same uvicorn as ours, so both totals include the same HTTP transfer."""

    def baseline() -> FileResponse:
        work = Path(tempfile.mkdtemp(prefix="bench-baseline-"))
        out = _remux_baseline(storage, keys, init_key, work)
        return FileResponse(
            out, media_type="video/mp4", background=BackgroundTask(shutil.rmtree, work, ignore_errors=True)
        )

    app.add_api_route("/bench/baseline.mp4", baseline, methods=["GET"])


def _median(runs: list[tuple[float, float, int]], index: int) -> float:
    return statistics.median(r[index] for r in runs)


@pytest.mark.slow
def test_bench_one_hour_clip(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, pg_url: str, s3) -> None:
    media = encode(tmp_path_factory.mktemp("bench-media"))
    world = make_world(_settings(tmp_path, database_url=pg_url, storage_url=s3.storage_url(s3.new_bucket())), media)
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    world.upload_run("cam1", run_id(t0), t0, HOUR_SEGMENTS)
    with world.services.db.session() as db:
        keys = list(db.scalars(select(ArchiveSegment.object_key).order_by(ArchiveSegment.start)))
        init_key = db.scalar(select(ArchiveRun.init_key))
    _add_baseline_route(world.client.app, storage_of(world.services), keys, init_key)
    server, base = _serve(world.client.app)
    params = {"start": t0.isoformat(), "duration": 3600}
    headers = world.auth(world.alice)
    sides = {
        "ours": lambda: _timed_download(f"{base}/api/v1/cameras/cam1/download", params, headers),
        "baseline": lambda: _timed_download(f"{base}/bench/baseline.mp4", {}, {}),
    }
    runs: dict[str, list[tuple[float, float, int]]] = {"ours": [], "baseline": []}
    try:
        for measure in sides.values():  # warm-up of both (connections, caches, ffmpeg binary): not counted
            measure()
        for i in range(REPETITIONS):  # alternate which side goes first, so drift in load hits both alike
            for name in ("ours", "baseline") if i % 2 == 0 else ("baseline", "ours"):
                runs[name].append(sides[name]())
    finally:
        server.should_exit = True
    ours, baseline = runs["ours"], runs["baseline"]
    figures = {
        "bench": "archive_clip_one_hour",
        "setup": "PostgreSQL + SeaweedFS, 600 x 6 s fMP4 segments (160x120, 5 fps), uvicorn over 127.0.0.1",
        "method": f"1 warm-up each, then {REPETITIONS} alternating rounds; medians",
        "portal_ttfb_ms": round(_median(ours, 0) * 1000, 1),
        "portal_total_ms": round(_median(ours, 1) * 1000, 1),
        "portal_runs_ttfb_ms": [round(r[0] * 1000, 1) for r in ours],
        "portal_runs_total_ms": [round(r[1] * 1000, 1) for r in ours],
        "portal_bytes": ours[0][2],
        "baseline": "fetch segments one by one + ffmpeg concat demuxer -c copy to a file, then serve the file "
        "(same uvicorn, same store client)",
        "baseline_ttfb_ms": round(_median(baseline, 0) * 1000, 1),
        "baseline_total_ms": round(_median(baseline, 1) * 1000, 1),
        "baseline_runs_total_ms": [round(r[1] * 1000, 1) for r in baseline],
        "total_ratio": round(_median(ours, 1) / _median(baseline, 1), 3),
        "targets": {"ttfb_ms_below": 100, "total_ratio_below": 0.5},
    }
    print(json.dumps(figures))
    world.services.db.dispose()
