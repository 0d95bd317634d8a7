"""Catalogue at full size: 30 days x 8 cameras of 6 s segments (~3.5 million rows).

Prints JSON: per-segment commit insert (the production path, one transaction each) and "one day's ranges"
lookup, at full size against a baseline catalogue of one day, measured in the same run.
DOZOR_BENCH_SEGMENTS scales the full size down (default 3,456,000).
"""

import json
import os
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from edge.archive.catalogue import Catalogue

CAMERAS = 8
SEGMENT_MS = 6000
FULL = int(os.environ.get("DOZOR_BENCH_SEGMENTS", str(30 * 8 * 14_400)))
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def bulk_fill(catalogue: Catalogue, total: int) -> None:
    """Fast pre-fill (not measured): the same rows the recorder writes, in big transactions."""
    per_camera = total // CAMERAS
    start_ms = int(T0.timestamp() * 1000)
    sha = bytes(32)
    with catalogue.transaction() as db:
        for cam in range(CAMERAS):
            db.executemany(
                "INSERT INTO segments (camera_id, run_id, seq, start_ms, end_ms, size, sha256, clock_synced,"
                " uploaded) VALUES (?, ?, ?, ?, ?, 900000, ?, 1, ?)",
                (
                    (
                        f"cam{cam}",
                        f"20260101T000000Z-{cam:06x}",
                        i,
                        start_ms + i * SEGMENT_MS,
                        start_ms + (i + 1) * SEGMENT_MS,
                        sha,
                        int(i % 3 == 0),
                    )
                    for i in range(per_camera)
                ),
            )
    catalogue.rebuild_spans()


def measure(catalogue: Catalogue, days: int) -> dict[str, float]:
    day = T0 + timedelta(days=days // 2)
    lookups = []
    for _ in range(30):
        began = time.perf_counter()
        ranges = catalogue.ranges("cam3", day, day + timedelta(days=1))
        lookups.append((time.perf_counter() - began) * 1000)
    assert len(ranges) == 1
    inserts = []
    base = int((T0 + timedelta(days=days + 1)).timestamp() * 1000)
    for i in range(300):
        began = time.perf_counter()
        start = datetime.fromtimestamp((base + i * 6000) / 1000, UTC)
        catalogue.add_segment("cam3", "20260201T000000Z-aaaaaa", i, start, 6.0, 900000, "00" * 32, True)
        inserts.append((time.perf_counter() - began) * 1000)
    pending_began = time.perf_counter()
    catalogue.pending_uploads(limit=100)
    return {
        "day_ranges_ms_median": round(statistics.median(lookups), 3),
        "day_ranges_ms_p95": round(sorted(lookups)[int(len(lookups) * 0.95) - 1], 3),
        "insert_ms_median": round(statistics.median(inserts), 3),
        "insert_ms_p95": round(sorted(inserts)[int(len(inserts) * 0.95) - 1], 3),
        "pending_uploads_100_ms": round((time.perf_counter() - pending_began) * 1000, 3),
    }


def test_catalogue_at_full_size(tmp_path: Path) -> None:
    baseline_cat = Catalogue(tmp_path / "baseline.sqlite3")
    bulk_fill(baseline_cat, CAMERAS * 14_400)
    baseline = measure(baseline_cat, 1)
    full_cat = Catalogue(tmp_path / "full.sqlite3")
    began = time.perf_counter()
    bulk_fill(full_cat, FULL)
    fill_s = time.perf_counter() - began
    full = measure(full_cat, FULL // CAMERAS // 14_400)
    db_bytes = sum(p.stat().st_size for p in tmp_path.glob("full.sqlite3*"))
    print(
        json.dumps(
            {
                "bench": "edge_catalogue",
                "segments": FULL,
                "bulk_fill_s": round(fill_s, 1),
                "db_bytes": db_bytes,
                "baseline_one_day": baseline,
                "full": full,
                "target_day_ranges_ms": 5.0,
                "meets_target": full["day_ranges_ms_median"] < 5.0,
            },
            indent=1,
        )
    )
