"""Benchmark: CPU to make one timeline thumbnail of a 1280x720 ~2 Mbit/s segment, keyframe-only, on the portal.

Ours: portal.archive.thumbnails (ranged read of the first keyframe's bytes, decode that one frame, scale to
160 px, JPEG). Baseline in the same run: ffmpeg reading the whole segment file (init + segment) and writing a
160 px JPEG of its first frame (`-frames:v 1`), the usual NVR way. CPU = process time (ours) and the child's
user+sys time (ffmpeg), per thumbnail; medians over every segment of the minute, 3 rounds.
Run: make bench PYTEST_ARGS=-k=thumbnail
"""

import json
import resource
import statistics
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete

from portal.archive import thumbnails
from portal.archive.segments import segments_in_range
from portal.archive.storage import storage_of
from portal.models import ArchiveThumbnail
from tests.bench.bench_archive_download import encode_minute
from tests.portal_archive.conftest import _settings, make_world, run_id

ROUNDS = 3
SEGMENT_SECONDS = 6


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@pytest.mark.slow
def test_bench_thumbnail_cpu(tmp_path: Path) -> None:
    media = encode_minute(tmp_path)
    world = make_world(_settings(tmp_path / "portal"), media)
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    end = world.upload_run("cam1", run_id(t0), t0, len(media.segments))
    storage = storage_of(world.services)
    ours, theirs, wall = [], [], []
    with world.services.db.session() as db:
        refs = segments_in_range(db, "cam1", t0, end)
        height = thumbnails.tile_height(storage, refs[0].init_key)
        for _ in range(ROUNDS):
            db.execute(delete(ArchiveThumbnail))
            for ref in refs:
                cpu, clock = time.process_time(), time.perf_counter()
                jpeg = thumbnails.thumbnail(db, storage, ref, height)
                ours.append(time.process_time() - cpu)
                wall.append(time.perf_counter() - clock)
                assert jpeg[:2] == b"\xff\xd8"
    for _ in range(ROUNDS):
        for i, segment in enumerate(media.segments):
            source = tmp_path / f"whole{i}.mp4"
            source.write_bytes(media.init + segment)
            before = _child_cpu()
            subprocess.run(
                ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", str(source), "-frames:v", "1",
                 "-vf", f"scale=160:{height}", str(tmp_path / "thumb.jpg")],
                check=True, timeout=60,
            )  # fmt: skip
            theirs.append(_child_cpu() - before)
    world.services.db.dispose()
    per_thumb = statistics.median(ours)
    print(
        json.dumps(
            {
                "bench": "archive_thumbnail_cpu",
                "video": "1280x720 25 fps H.264 ~2 Mbit/s, 6 s segments (GOP 2 s)",
                "tile": f"160x{height} JPEG",
                "ours_cpu_ms_per_thumbnail": round(per_thumb * 1000, 2),
                "ours_wall_ms_per_thumbnail": round(statistics.median(wall) * 1000, 2),
                "baseline": "ffmpeg -i init+segment -frames:v 1 -vf scale (process start included)",
                "baseline_cpu_ms_per_thumbnail": round(statistics.median(theirs) * 1000, 2),
                "ratio": round(per_thumb / statistics.median(theirs), 3),
                "cpu_share_of_one_core_if_made_for_every_segment_of_one_camera": round(per_thumb / SEGMENT_SECONDS, 5),
                "samples": len(ours),
            }
        )
    )
