"""Half-open time intervals [start, end): merging, subtracting, intersecting sorted lists of them."""

from collections.abc import Iterable
from datetime import datetime, timedelta

Interval = tuple[datetime, datetime]


def merge(intervals: Iterable[Interval], join_below: timedelta = timedelta(0)) -> list[Interval]:
    """Sorted union; neighbours closer than ``join_below`` become one."""
    out: list[Interval] = []
    for start, end in sorted(intervals):
        if out and start - out[-1][1] <= join_below:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def clip(intervals: Iterable[Interval], lo: datetime, hi: datetime) -> list[Interval]:
    return [(max(s, lo), min(e, hi)) for s, e in intervals if e > lo and s < hi]


def complement(intervals: list[Interval], lo: datetime, hi: datetime) -> list[Interval]:
    """What of [lo, hi) the sorted, merged ``intervals`` do not cover."""
    holes: list[Interval] = []
    cursor = lo
    for start, end in intervals:
        if start > cursor:
            holes.append((cursor, min(start, hi)))
        cursor = max(cursor, end)
        if cursor >= hi:
            break
    if cursor < hi:
        holes.append((cursor, hi))
    return [(s, e) for s, e in holes if e > s]


def intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    """Pairwise intersection of two sorted, merged lists."""
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def subtract(a: list[Interval], b: list[Interval]) -> list[Interval]:
    """Parts of sorted ``a`` not covered by sorted, merged ``b``."""
    out: list[Interval] = []
    for start, end in a:
        out.extend(complement(clip(b, start, end), start, end))
    return out
