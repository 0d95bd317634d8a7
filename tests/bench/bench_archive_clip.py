"""Benchmark: one-hour clip download, time to first byte and total, on PostgreSQL + SeaweedFS.

Baseline (same run, same store): what common NVRs do - fetch the hour's segment files, remux them with
ffmpeg's concat demuxer (-c copy) into one MP4 file, then serve that file. Prints JSON.
Run: make bench  (= pytest -s tests/bench), or .venv/bin/pytest -s tests/bench/bench_archive_clip.py
"""

import json
import subprocess
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn

from portal.archive.storage import storage_of
from tests.fixtures.ports import free_port, wait_until
from tests.portal_archive.conftest import _settings, make_world, run_id
from tests.portal_archive.media import encode

HOUR_SEGMENTS = 600


def _serve(app) -> tuple[uvicorn.Server, str]:  # noqa: ANN001 - FastAPI app
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


def _baseline(storage, keys: list[str], init_key: str) -> tuple[float, float, int]:  # noqa: ANN001
    """Fetch -> standalone files -> ffmpeg concat demuxer remux -> serve the file (read it out)."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        init = storage.read(init_key)
        lines = []
        for i, key in enumerate(keys):
            path = work / f"{i:05d}.mp4"
            path.write_bytes(init + storage.read(key))
            lines.append(f"file '{path}'")
        (work / "list.txt").write_text("\n".join(lines))
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0",
                        "-i", str(work / "list.txt"), "-c", "copy", str(work / "out.mp4")], check=True)
        first = None
        size = 0
        with (work / "out.mp4").open("rb") as served:
            while chunk := served.read(256 * 1024):
                first = first or time.perf_counter() - start
                size += len(chunk)
    return first, time.perf_counter() - start, size


@pytest.mark.slow
def test_bench_one_hour_clip(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, pg_url: str, s3) -> None:  # noqa: ANN001
    media = encode(tmp_path_factory.mktemp("bench-media"))
    world = make_world(_settings(tmp_path, database_url=pg_url, storage_url=s3.storage_url(s3.new_bucket())), media)
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    world.upload_run("cam1", run_id(t0), t0, HOUR_SEGMENTS)
    server, base = _serve(world.client.app)
    try:
        params = {"start": t0.isoformat(), "duration": 3600}
        headers = world.auth(world.alice)
        _timed_download(f"{base}/api/v1/cameras/cam1/download", params, headers)  # warm connections and caches
        ours = [_timed_download(f"{base}/api/v1/cameras/cam1/download", params, headers) for _ in range(3)]
        with world.services.db.session() as db:
            from sqlalchemy import select

            from portal.models import ArchiveRun, ArchiveSegment

            keys = list(db.scalars(select(ArchiveSegment.object_key).order_by(ArchiveSegment.start)))
            init_key = db.scalar(select(ArchiveRun.init_key))
        storage = storage_of(world.services)
        base_runs = [_baseline(storage, keys, init_key) for _ in range(2)]
    finally:
        server.should_exit = True
    best = min(ours, key=lambda r: r[1])
    base_best = min(base_runs, key=lambda r: r[1])
    figures = {
        "bench": "archive_clip_one_hour",
        "setup": "PostgreSQL + SeaweedFS, 600 x 6 s fMP4 segments (160x120, 5 fps), uvicorn over 127.0.0.1",
        "portal_ttfb_ms": round(best[0] * 1000, 1),
        "portal_total_ms": round(best[1] * 1000, 1),
        "portal_runs_ttfb_ms": [round(r[0] * 1000, 1) for r in ours],
        "portal_bytes": best[2],
        "baseline": "fetch segments + ffmpeg concat demuxer -c copy to a file, then read the file out",
        "baseline_ttfb_ms": round(base_best[0] * 1000, 1),
        "baseline_total_ms": round(base_best[1] * 1000, 1),
        "total_ratio": round(best[1] / base_best[1], 3),
        "targets": {"ttfb_ms_below": 100, "total_ratio_below": 0.5},
    }
    print(json.dumps(figures))
    world.services.db.dispose()
