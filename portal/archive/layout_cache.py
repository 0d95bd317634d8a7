"""Computed progressive-MP4 layouts (portal.archive.progressive), kept so that HEAD, Range requests, resumes and
repeated downloads of one range do not recompute them (an hour: 600 sample tables decoded, a 1 MB moov written).

The key is what the file is made of: the store, the camera, the range and the index rows inside it — each playable
segment's id, object key (its checksum is in it) and its run's init key — read on every request by one lean query
(no timestamps, no tables: a few µs a row). A segment that arrives in the range, one that retention deletes, a run
whose init arrives late: each changes those rows, hence the key, hence the lookup misses and the layout is
computed afresh; nothing has to remember to invalidate, and several portal workers need no shared state. Stored
bytes never change under a key and segment rows are never updated, so equal rows mean an equal file.

Access is not part of the key: every request is authorised (camera, depth, share, session) before it gets here,
and the file of a camera's range is the same file for everyone allowed to see it. Bounded LRU by header bytes.
"""

from collections import OrderedDict
from datetime import datetime
from threading import Lock

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.archive.progressive import Layout, layout
from portal.archive.segments import SegmentRef, in_range, segments_and_tables_in_range
from portal.archive.storage import Storage
from portal.models import ArchiveRun, ArchiveSegment

MAX_ENTRIES = 64
MAX_BYTES = 96 * 1024 * 1024  # ~2.2 MB per cached hour (1.1 MB moov + pieces): ~40 hours of layouts

Rows = tuple[tuple[int, str, str], ...]  # (segment id, object key, init key) in file order
Key = tuple[str, str, datetime, datetime, Rows]


def _cost(item: Layout) -> int:
    return len(item.header) + 96 * len(item.pieces)


class LayoutCache:
    """Layouts by (store, camera, range, index rows); bounded by entries and bytes, thread-safe."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self._items: OrderedDict[Key, Layout] = OrderedDict()
        self._bytes = 0
        self._max_entries, self._max_bytes = max_entries, max_bytes
        self._lock = Lock()
        self.hits = self.misses = 0

    def get(self, key: Key) -> Layout | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item

    def put(self, key: Key, item: Layout) -> None:
        cost = _cost(item)
        if cost > self._max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= _cost(old)
            self._items[key] = item
            self._bytes += cost
            while len(self._items) > self._max_entries or self._bytes > self._max_bytes:
                _, evicted = self._items.popitem(last=False)
                self._bytes -= _cost(evicted)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._items)


LAYOUTS = LayoutCache()


def range_rows(db: Session, camera_id: str, start: datetime, end: datetime) -> Rows:
    """The identity of the playable segments overlapping [start, end), in segments_in_range's order."""
    query = (
        select(ArchiveSegment.id, ArchiveSegment.object_key, ArchiveRun.init_key)
        .join(ArchiveRun, ArchiveRun.id == ArchiveSegment.run_pk)
        .where(ArchiveRun.init_key != "")
    )
    return tuple((row_id, key, init) for row_id, key, init in db.execute(in_range(query, camera_id, start, end)))


def _rows_of(segments: list[SegmentRef]) -> Rows:
    return tuple((s.id, s.object_key, s.init_key) for s in segments)


def cached_layout(
    db: Session,
    storage: Storage,
    camera_id: str,
    start: datetime,
    end: datetime,
    cache: LayoutCache = LAYOUTS,
) -> Layout | None:
    """The file of [start, end) of the camera (None when no video is in the range); raises CodecChanged.

    A hit costs the lean row query; a miss lists the segments in full with their sample tables (one query) and
    lays the file out, keyed by the rows of that listing itself (a segment arriving between the two queries then
    simply misses next time)."""
    rows = range_rows(db, camera_id, start, end)
    if not rows:
        return None
    hit = cache.get((storage.url, camera_id, start, end, rows))
    if hit is not None:
        return hit
    segments, blobs = segments_and_tables_in_range(db, camera_id, start, end)
    if not segments:
        return None
    item = layout(db, storage, segments, start, end, blobs)
    cache.put((storage.url, camera_id, start, end, _rows_of(segments)), item)
    return item
