"""Sample tables in the index: read from the moof at ingest, or lazily (and back-filled) for older segments.

A segment whose run's init had not arrived when it was uploaded, or that was stored before tables existed,
has ``sample_table`` NULL; the first download that needs it reads the object once, parses it and writes the
table back, so every later download of that stretch computes its layout from the index alone.
"""

import logging
from collections import OrderedDict
from collections.abc import Iterable
from threading import Lock

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.archive import mp4, sample_table
from portal.archive.clip import ReadAhead
from portal.archive.storage import Storage
from portal.models import ArchiveSegment

log = logging.getLogger(__name__)
# Every ingested segment's table needs its run's init: the cache must hold one run per camera a worker takes
# uploads from (500 boxes x 4 cameras = 2,000), or each segment costs a GET and a parse. Inits are ~1-2 KB.
_INIT_CACHE_SIZE = 8192


class InitCache:
    """Parsed init segments by object key (they never change under a key), bounded LRU, thread-safe."""

    def __init__(self, size: int = _INIT_CACHE_SIZE) -> None:
        self._items: OrderedDict[str, tuple[mp4.InitInfo, bytes]] = OrderedDict()
        self._size = size
        self._lock = Lock()

    def get(self, storage: Storage, key: str) -> tuple[mp4.InitInfo, bytes]:
        """(parsed init, its bytes)."""
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
        raw = storage.read(key)
        item = (mp4.parse_init(raw), raw)
        with self._lock:
            self._items[key] = item
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return item


INITS = InitCache()


def table_at_ingest(storage: Storage, init_key: str, data: bytes) -> bytes | None:
    """The encoded table of an uploaded segment of the run whose init is ``init_key``, or None when it does not
    parse (the download path retries then, and says what is wrong if it still fails)."""
    try:
        init, _ = INITS.get(storage, init_key)
        return sample_table.encode(sample_table.parse(data, init))
    except (mp4.Mp4Error, ValueError, KeyError, IndexError) as exc:
        log.warning("segment under init %s: no sample table at ingest (%s)", init_key, exc)
        return None


def load_tables(
    db: Session,
    storage: Storage,
    segments: Iterable[tuple[int, str, str]],
    blobs: dict[int, bytes | None] | None = None,
) -> dict[int, sample_table.SegmentTable]:
    """Tables of ``segments`` = [(segment id, object key, init key)], back-filling the missing ones; ``blobs``:
    the encoded tables by segment id when the caller has read them already."""
    wanted = list(segments)
    if blobs is None:
        blobs = {}
        ids = [s[0] for s in wanted]
        for i in range(0, len(ids), 500):
            rows = db.execute(
                select(ArchiveSegment.id, ArchiveSegment.sample_table).where(ArchiveSegment.id.in_(ids[i : i + 500]))
            )
            blobs.update((row_id, blob) for row_id, blob in rows)
    out = {seg_id: sample_table.decode(blob) for seg_id, blob in blobs.items() if blob}
    missing = [s for s in wanted if s[0] not in out]
    if missing:
        out.update(backfill(db, storage, missing))
    return out


def backfill(
    db: Session, storage: Storage, segments: list[tuple[int, str, str]]
) -> dict[int, sample_table.SegmentTable]:
    """Read, parse and store the tables of segments indexed without one (read ahead, one UPDATE each)."""
    out = {}
    for (seg_id, _key, init_key), data in zip(segments, ReadAhead(storage, [s[1] for s in segments]), strict=True):
        init, _ = INITS.get(storage, init_key)
        out[seg_id] = sample_table.parse(data, init)
    # Written after all the reads: on SQLite the first UPDATE takes the database write lock until commit.
    for seg_id, table in out.items():
        blob = sample_table.encode(table)
        db.execute(update(ArchiveSegment).where(ArchiveSegment.id == seg_id).values(sample_table=blob))
    db.commit()
    log.info("back-filled the sample tables of %d segment(s)", len(segments))
    return out
