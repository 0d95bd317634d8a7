"""Spans: each camera's merged contiguous recorded ranges, kept in the same transactions as its segments.

They make "ranges between t1 and t2" a read of a few rows instead of a merge over thousands of segments.
"""

from __future__ import annotations

import sqlite3

# Segments further apart than this are separate ranges (timestamps are ms-rounded; anchors are per run).
CONTIGUOUS_MS = 500
# Longest segment we ever catalogue; bounds the index scan of "segments overlapping t1".
MAX_SEGMENT_MS = 60_000


def span_add(db: sqlite3.Connection, camera: str, start: int, end: int) -> None:
    """Merge [start, end) into the camera's spans."""
    prev = db.execute(
        "SELECT id, start_ms, end_ms FROM spans WHERE camera_id = ? AND start_ms <= ? ORDER BY start_ms DESC LIMIT 1",
        (camera, start),
    ).fetchone()
    if prev is not None and prev[2] >= start - CONTIGUOUS_MS:
        if prev[2] >= end:
            return  # already covered
        start = prev[1]
        db.execute("DELETE FROM spans WHERE id = ?", (prev[0],))
    for span_id, _, span_end in db.execute(
        "SELECT id, start_ms, end_ms FROM spans WHERE camera_id = ? AND start_ms > ? AND start_ms <= ?",
        (camera, start, end + CONTIGUOUS_MS),
    ).fetchall():
        end = max(end, span_end)
        db.execute("DELETE FROM spans WHERE id = ?", (span_id,))
    db.execute("INSERT INTO spans (camera_id, start_ms, end_ms) VALUES (?, ?, ?)", (camera, start, end))


def span_remove(db: sqlite3.Connection, camera: str, lo: int, hi: int) -> None:
    """Segments within [lo, hi] were deleted: fix the spans they belonged to."""
    spans = db.execute(
        "SELECT id, start_ms, end_ms FROM spans WHERE camera_id = ? AND end_ms >= ? AND start_ms <= ?",
        (camera, lo, hi),
    ).fetchall()
    if len(spans) == 1:
        span_id, span_start, span_end = spans[0]
        left = db.execute(
            "SELECT 1 FROM segments WHERE camera_id = ? AND start_ms >= ? AND start_ms < ? LIMIT 1",
            (camera, span_start - MAX_SEGMENT_MS, hi),
        ).fetchone()
        if left is None:  # eviction's usual case: the span lost a prefix; it now starts at the next segment
            nxt = db.execute(
                "SELECT MIN(start_ms) FROM segments WHERE camera_id = ? AND start_ms >= ? AND start_ms < ?",
                (camera, hi - MAX_SEGMENT_MS, span_end),
            ).fetchone()[0]
            if nxt is None:
                db.execute("DELETE FROM spans WHERE id = ?", (span_id,))
            else:
                db.execute("UPDATE spans SET start_ms = ? WHERE id = ?", (nxt, span_id))
            return
    span_rebuild(db, camera, lo, hi)


def span_rebuild(db: sqlite3.Connection, camera: str, lo: int, hi: int) -> None:
    """Recompute the spans overlapping [lo, hi] from the segments."""
    extent = db.execute(
        "SELECT MIN(start_ms), MAX(end_ms) FROM spans WHERE camera_id = ? AND end_ms >= ? AND start_ms <= ?",
        (camera, lo, hi),
    ).fetchone()
    a = min(lo, extent[0]) if extent[0] is not None else lo
    b = max(hi, extent[1]) if extent[1] is not None else hi
    db.execute("DELETE FROM spans WHERE camera_id = ? AND end_ms >= ? AND start_ms <= ?", (camera, lo, hi))
    merged: list[list[int]] = []
    for start, end in db.execute(
        "SELECT start_ms, end_ms FROM segments WHERE camera_id = ? AND start_ms >= ? AND start_ms <= ?"
        " ORDER BY start_ms",
        (camera, a, b),
    ):
        if merged and start - merged[-1][1] <= CONTIGUOUS_MS:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    db.executemany(
        "INSERT INTO spans (camera_id, start_ms, end_ms) VALUES (?, ?, ?)", ((camera, s, e) for s, e in merged)
    )
