"""Benchmark: timeline queries on PostgreSQL with 30 days of one camera (432,000 segments) and 1,000 cameras.

Ours reads the span summary kept at ingest (archive_spans) plus gaps and holdings, in two queries (the camera's
facts, then one UNION ALL of the window's rows); the baseline, in the
same run, computes the same day's ranges by scanning that day's segments (14,400 rows) and merging them.
Prints JSON. Run: .venv/bin/pytest -s tests/bench/bench_archive_timeline.py
"""

import json
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from portal.app import build_services
from portal.archive import intervals as iv
from portal.archive.index import SPAN_TOLERANCE
from portal.archive.timeline import timeline
from portal.config import PortalSettings
from portal.models import Address, ArchiveSegment, Camera, Device

DAYS, PER_DAY = 30, 14_400  # 6 s segments
CAMERAS = 1000


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] * 1000


def _fill(db, t0: datetime) -> None:
    """One camera with 432,000 segments (10 min outage each day at 03:00) and 1,000 cameras with spans."""
    db.add(Address(id=1, city="Новокузнецк", street="Шахтёров", house="30", entrance=1))
    db.add(Device(id="box", address_id=1, state="online"))
    db.flush()
    db.add_all(
        Camera(id=f"c{i}", device_id="box", name=f"c{i}", address_id=1, retention_days=30) for i in range(CAMERAS)
    )
    db.flush()
    db.execute(
        text(
            "INSERT INTO archive_runs (camera_id, run_id, init_key, init_sha256, init_bytes, created_at) "
            "VALUES ('c0', '20260101T000000Z-aaaaaa', 'k', 's', 1, now())"
        )
    )
    db.execute(
        text("""
        INSERT INTO archive_segments (camera_id, run_pk, seq, start, "end", duration, bytes, object_key, sha256,
                                      clock_synced, created_at)
        SELECT 'c0', (SELECT id FROM archive_runs LIMIT 1), g, :t0 + g * interval '6 s', :t0 + (g + 1) * interval '6 s',
               6.0, 60000, 'c0/x/' || g, 'x', true, now()
        FROM generate_series(0, :n - 1) AS g
        WHERE (g % :per_day) NOT BETWEEN 1800 AND 1899
    """),
        {"t0": t0, "n": DAYS * PER_DAY, "per_day": PER_DAY},
    )
    db.execute(
        text("""
        INSERT INTO archive_spans (camera_id, start, "end")
        SELECT 'c' || c, :t0 + d * interval '1 day' + s.a, :t0 + d * interval '1 day' + s.b
        FROM generate_series(0, :cams - 1) c, generate_series(0, :days - 1) d,
             (VALUES (interval '0 s', interval '3 hours'), (interval '3 hours 10 min', interval '24 hours')) s(a, b)
    """),
        {"t0": t0, "cams": CAMERAS, "days": DAYS},
    )
    db.execute(
        text("""
        INSERT INTO archive_gaps (camera_id, start, "end", reason, created_at)
        SELECT 'c' || c, :t0 + d * interval '1 day' + interval '3 hours',
               :t0 + d * interval '1 day' + interval '3 hours 10 min', 'camera_unreachable', now()
        FROM generate_series(0, :cams - 1) c, generate_series(0, :days - 1) d
    """),
        {"t0": t0, "cams": CAMERAS, "days": DAYS},
    )
    db.execute(text("ANALYZE"))


def _baseline(db, lo: datetime, hi: datetime) -> list:
    rows = db.execute(
        select(ArchiveSegment.start, ArchiveSegment.end)
        .where(ArchiveSegment.camera_id == "c0", ArchiveSegment.start < hi, ArchiveSegment.end > lo)
        .order_by(ArchiveSegment.start)
    ).all()
    return iv.merge(((s, e) for s, e in rows), SPAN_TOLERANCE)


@pytest.mark.slow
def test_bench_timeline(tmp_path: Path, pg_url: str) -> None:
    services = build_services(PortalSettings(data_dir=tmp_path, database_url=pg_url, storage_url=tmp_path.as_uri()))
    t0 = datetime(2026, 10, 1, tzinfo=UTC)
    now = t0 + timedelta(days=DAYS)
    with services.db.session() as db:
        _fill(db, t0)
    rng = random.Random(7)
    ours, base = [], []
    with services.db.session() as db:
        for _ in range(10):  # warm both sides alike (connection, statement caches, buffers); not measured
            day = t0 + timedelta(days=rng.randrange(DAYS))
            timeline(db, "c0", day, day + timedelta(days=1), now=now)
            _baseline(db, day, day + timedelta(days=1))
        for _ in range(200):
            day = t0 + timedelta(days=rng.randrange(DAYS))
            start = time.perf_counter()
            result = timeline(db, "c0", day, day + timedelta(days=1), now=now)
            ours.append(time.perf_counter() - start)
            start = time.perf_counter()
            ranges = _baseline(db, day, day + timedelta(days=1))
            base.append(time.perf_counter() - start)
            assert ranges == result.ranges  # the summary says exactly what the segments say
        many = []
        day = t0 + timedelta(days=10)
        all_start = time.perf_counter()
        for i in range(CAMERAS):
            start = time.perf_counter()
            timeline(db, f"c{i}", day, day + timedelta(days=1), now=now)
            many.append(time.perf_counter() - start)
        all_total = time.perf_counter() - all_start
    print(
        json.dumps(
            {
                "bench": "archive_timeline_one_day",
                "setup": (
                    f"PostgreSQL; camera c0: {DAYS} days of 6 s segments (~{DAYS * PER_DAY} rows); {CAMERAS} cameras"
                ),
                "one_camera_day_p95_ms": round(_p95(ours), 2),
                "one_camera_day_median_ms": round(statistics.median(ours) * 1000, 2),
                "baseline": "scan the day's segments and merge them into ranges",
                "baseline_day_p95_ms": round(_p95(base), 2),
                "cameras_1000_day_total_s": round(all_total, 3),
                "cameras_1000_day_p95_ms": round(_p95(many), 2),
                "targets": {"one_camera_day_p95_ms_below": 10},
            }
        )
    )
    services.db.dispose()
