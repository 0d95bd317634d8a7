"""Progressive MP4 downloads laid out from the index: ftyp + moov (fast start) + one mdat, size known up front.

``layout()`` computes the whole file from the segment index and the runs' init segments (no media read when
the sample tables are in the index): the header bytes, then the mdat as pieces = byte ranges of stored
segment objects. ``iter_range()`` streams any byte range of that file, reading just those pieces' bytes
(ranged reads, read ahead), so HTTP Range/resume cost only what is sent. Usable outside HTTP (Forpost).

Stitching is the fragmented clip's: decode times run on across runs and outages (a hole plays as a cut); the
first segment is cut at the last keyframe at or before ``start``, the last at ``end``. A codec change inside
the range (a run whose sample descriptions differ from the first run's) is refused with ``CodecChanged``,
naming the moment, since one moov holds one sample description per track: the caller downloads up to that
moment and from it, or asks for ``format=fmp4`` (which carries a new init).
"""

import asyncio
import bisect
import hashlib
import struct
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from cloud_sync.segments import format_time
from portal.archive import moov
from portal.archive.buffers import POOL
from portal.archive.clip import _READER_THREADS, _READERS
from portal.archive.sample_table import SegmentTable, TrackTable
from portal.archive.segments import SegmentRef
from portal.archive.storage import AsyncReadSession, Storage
from portal.archive.tables import INITS, load_tables

LAYOUT_VERSION = b"progressive-1"  # part of the ETag: a change of layout code invalidates resumes
# Bytes in flight per download (its memory); how many reads is the store's ``reads_in_flight``, at most the
# shared reader pool's 16 threads.
READ_AHEAD_BYTES = 20 * 1024 * 1024  # ~13 pieces of 720p at 2 Mbit/s (6 s segments), 6 at 1080p 4 Mbit/s
# One file holds at most a day. Its moov grows with its length: an hour's is 1.08 MB and ~20 ms to lay out (600
# segments of 720p25), a day's 26 MB and ~0.8 s, a month's would be ~780 MB and ~25 s of one thread holding ~2.6 GB,
# again for every Range request the layout cache cannot hold, and few players open such a moov at all. Longer ranges
# are a file a day, or format=fmp4 (streamed, any length). Measured: docs/downloads.md.
MAX_FILE_SECONDS = 24 * 3600
# On a store with ``whole_reads`` (S3), a piece that is an object's media from at most this far into it to its end
# is read as the whole object and sliced without a copy: a plain GET costs the store less than a range starting
# mid-object (SeaweedFS: ~30 % more CPU on an hour of such ranges), and the skipped moof is a few hundred bytes.
WHOLE_SLACK = 64 * 1024


class CodecChanged(ValueError):
    """The range holds runs whose codec setup differs; one progressive file cannot carry both."""

    def __init__(self, at: datetime) -> None:
        super().__init__(
            f"the camera's codec settings change at {format_time(at)}: download the range up to that moment and "
            "the range from it as two files, or ask for format=fmp4 (one fragmented file)"
        )
        self.at = at


@dataclass(frozen=True)
class Piece:
    key: str
    offset: int  # in the object
    length: int
    at: int  # in the file
    object_size: int = 0  # of the stored object (0: unknown)


@dataclass(frozen=True)
class Layout:
    header: bytes  # ftyp + moov + mdat box header
    pieces: list[Piece]
    size: int
    etag: str  # strong: the same layout (same stored bytes, same cuts) gives the same file, byte for byte
    duration: float  # seconds of video in the file

    def iter_range(self, storage: Storage, first: int = 0, last: int | None = None) -> Iterator[bytes | memoryview]:
        """Bytes [first, last] (inclusive, HTTP style) of the file."""
        return iter_range(storage, self, first, self.size - 1 if last is None else last)

    def aiter_range(
        self, storage: Storage, first: int = 0, last: int | None = None
    ) -> AsyncIterator[bytes | memoryview]:
        """The same bytes for an async consumer (the HTTP response)."""
        return aiter_range(storage, self, first, self.size - 1 if last is None else last)


def layout(
    db: Session,
    storage: Storage,
    segments: list[SegmentRef],
    start: datetime,
    end: datetime,
    blobs: dict[int, bytes | None] | None = None,
) -> Layout:
    """The file for [start, end) of ``segments`` (from segments_in_range); ``blobs``: their encoded sample tables
    when the caller read them with the segments (segments_and_tables_in_range). Raises CodecChanged, ValueError."""
    if not segments:
        raise ValueError("no segments in the range")
    first_init, first_raw = INITS.get(storage, segments[0].init_key)
    for ref in segments:
        init, _ = INITS.get(storage, ref.init_key)
        if init.signature != first_init.signature:
            raise CodecChanged(ref.start)
    setups = {s.track_id: s for s in moov.track_setups(first_raw)}
    tracks = {tid: moov.TrackSamples(setup) for tid, setup in setups.items()}
    tables = load_tables(db, storage, [(s.id, s.object_key, s.init_key) for s in segments], blobs)
    video = next((tid for tid, s in setups.items() if s.handler == "vide"), None)
    pieces: list[Piece] = []
    digest = hashlib.sha256(LAYOUT_VERSION)
    mdat = 0
    for ref in segments:
        kept = _cut(ref, tables[ref.id], video, setups, start, end)
        runs: list[tuple[int, int, int, int]] = []  # (offset in object, track, samples, bytes)
        for t in kept:
            sizes = t.size_list()
            for first, n, offset in t.runs:
                runs.append((offset, t.track_id, n, sum(sizes[first : first + n])))
        runs.sort()
        chunks: dict[int, list[tuple[int, int]]] = {t.track_id: [] for t in kept}
        for offset, track_id, n, length in runs:
            chunks[track_id].append((mdat, n))
            last = pieces[-1] if pieces else None
            if last is not None and last.key == ref.object_key and last.offset + last.length == offset:
                pieces[-1] = Piece(last.key, last.offset, last.length + length, last.at, last.object_size)
            else:
                pieces.append(Piece(ref.object_key, offset, length, mdat, ref.size))
            mdat += length
        for t in kept:
            moov.add_samples(tracks[t.track_id], t, chunks[t.track_id])
            digest.update(struct.pack(">IQI", t.track_id, t.base_dts, t.count))
        digest.update(ref.object_key.encode())  # the key names the content (checksum in it)
    used = [t for t in tracks.values() if t.count]
    if not used:
        raise ValueError("no samples in the range")
    head = moov.header(used, mdat)
    pieces = [Piece(p.key, p.offset, p.length, p.at + len(head), p.object_size) for p in pieces]
    duration = max(t.duration / t.setup.timescale for t in used)
    return Layout(head, pieces, len(head) + mdat, f'"{digest.hexdigest()[:32]}"', duration)


def _cut(
    ref: SegmentRef,
    table: SegmentTable,
    video: int | None,
    setups: dict[int, moov.TrackSetup],
    start: datetime,
    end: datetime,
) -> list[TrackTable]:
    """The segment's tracks sliced to [last keyframe <= start, end), as the fragmented clip cuts them."""
    lo = max((start - ref.start).total_seconds(), 0.0)
    hi = (end - ref.start).total_seconds()
    tracks = [t for t in table.tracks if t.track_id in setups]
    whole = lo <= 0 and all(t.total_duration <= hi * setups[t.track_id].timescale for t in tracks)
    if whole:
        return [t for t in tracks if t.count]
    vt = next((t for t in tracks if t.track_id == video), None)
    if vt is not None and lo > 0:
        scale = setups[vt.track_id].timescale
        starts = vt.starts()
        keyframe_at = 0.0
        for i in vt.sync:
            if starts[i] / scale > lo:
                break
            keyframe_at = starts[i] / scale
        lo = keyframe_at
    out = []
    for t in tracks:
        scale = setups[t.track_id].timescale
        starts = t.starts()
        a = bisect.bisect_left(starts, (lo - 1e-6) * scale)
        b = bisect.bisect_left(starts, hi * scale)
        part = t.slice(a, b)
        if part.count:
            out.append(part)
    return out


Read = tuple[str, int, int, int]  # (object key, offset, length, object size when the whole object is read, or 0)


def _reads(plan: Layout, first: int, last: int, whole_reads: bool = False) -> list[Read]:
    """The reads behind bytes [max(first, header), last] of the file; with ``whole_reads`` (the store's), whole
    objects where a read is an object's media to its end."""
    if not 0 <= first <= last < plan.size:
        raise ValueError(f"range {first}-{last} is outside the file of {plan.size} bytes")
    head = len(plan.header)
    if last < head:
        return []
    starts = [p.at for p in plan.pieces]
    index = max(bisect.bisect_right(starts, max(first, head)) - 1, 0)
    reads = []
    for piece in plan.pieces[index:]:
        if piece.at > last:
            break
        a, b = max(first, piece.at), min(last + 1, piece.at + piece.length)
        if a < b:
            offset = piece.offset + a - piece.at
            whole = whole_reads and offset <= WHOLE_SLACK and offset + b - a == piece.object_size
            reads.append((piece.key, offset, b - a, piece.object_size if whole else 0))
    return reads


def _read(storage: Storage, key: str, offset: int, length: int, whole: int) -> bytes | memoryview:
    """One read: a ranged read, or the whole object (``whole`` bytes long) sliced without a copy."""
    if not whole:
        return storage.read_range(key, offset, length)
    return _slice_of_whole(key, storage.read(key), whole, offset, length)


def _slice_of_whole(key: str, data: bytes | memoryview, whole: int, offset: int, length: int) -> memoryview:
    if len(data) != whole:
        raise OSError(f"object {key!r} is {len(data)} bytes, the index says {whole}")
    return memoryview(data)[offset : offset + length]


class _Window:
    """Which reads to start next: as many as keep at most READ_AHEAD_BYTES and ``most`` reads in flight (at least
    one, however large). A read leaves the window when its bytes are handed on."""

    def __init__(self, reads: list[Read], most: int) -> None:
        self._reads = reads
        self._most = max(1, min(most, _READER_THREADS))
        self._next = 0
        self._count = 0
        self._bytes = 0

    def to_start(self) -> list[Read]:
        started = []
        while self._next < len(self._reads):
            read = self._reads[self._next]
            if self._count and (self._count >= self._most or self._bytes + read[2] > READ_AHEAD_BYTES):
                break
            self._next += 1
            self._count += 1
            self._bytes += read[2]
            started.append(read)
        return started

    def consumed(self, read: Read) -> None:
        self._count -= 1
        self._bytes -= read[2]


Chunk = bytes | memoryview
F = TypeVar("F", Future[Chunk], asyncio.Future[Chunk])


class _Pending(Generic[F]):
    """The reads of one range in flight, in file order, kept within a ``_Window``; ``start`` begins one read and
    gives what the consumer waits on (a future of the reader pool; for the event loop an asyncio future, made as
    the read starts, whose result is then already set when awaited: no extra loop turn per chunk)."""

    def __init__(self, storage: Storage, reads: list[Read], start: Callable[[Read], F]) -> None:
        self._begin: Callable[[Read], F] = start
        self._window = _Window(reads, storage.reads_in_flight)
        self._futures: deque[tuple[Read, F]] = deque()
        self._start()

    def _start(self) -> None:
        for read in self._window.to_start():
            self._futures.append((read, self._begin(read)))

    def next(self) -> tuple[Read, F] | None:
        """The next read's future (None when done); call ``handed_on`` once its bytes leave."""
        return self._futures.popleft() if self._futures else None

    def handed_on(self, read: Read) -> None:
        self._window.consumed(read)
        self._start()

    def cancel(self) -> None:
        """Reads not started are dropped (the client went away, or the range ended early)."""
        for _, future in self._futures:
            future.cancel()


async def _aread(reads: AsyncReadSession, key: str, offset: int, length: int, whole: int) -> Chunk:
    """``_read`` on the event loop."""
    if not whole:
        return await reads.read_range(key, offset, length)
    return _slice_of_whole(key, await reads.read(key), whole, offset, length)


def _async_start(storage: Storage, session: AsyncReadSession | None) -> Callable[[Read], asyncio.Future[Chunk]]:
    """How ``aiter_range`` starts a read: through the store's reads for the event loop when it has them (S3 GETs
    on the loop, a directory's preads on its executor), else on the clip reader pool."""
    if session is not None:
        return lambda read: asyncio.ensure_future(_aread(session, *read))
    return lambda read: asyncio.wrap_future(_READERS.submit(_read, storage, *read))


def _header_part(plan: Layout, first: int, last: int) -> bytes | None:
    return plan.header[first : min(last + 1, len(plan.header))] if first < len(plan.header) else None


def iter_range(storage: Storage, plan: Layout, first: int, last: int) -> Iterator[bytes | memoryview]:
    """Bytes [first, last] of the file: header from memory, mdat by ranged reads read ahead (``_Window``)."""
    reads = _reads(plan, first, last, storage.whole_reads)
    if (header := _header_part(plan, first, last)) is not None:
        yield header
    pending = _Pending(storage, reads, lambda read: _READERS.submit(_read, storage, *read))
    try:
        while (item := pending.next()) is not None:
            read, future = item
            data = future.result()
            pending.handed_on(read)
            yield data
    finally:
        pending.cancel()


async def aiter_range(storage: Storage, plan: Layout, first: int, last: int) -> AsyncIterator[bytes | memoryview]:
    """``iter_range`` for the event loop: the reads are the store's ``async_reads`` (or run on the reader pool) and
    are awaited, so a chunk costs no hop through the request thread pool (shared with every sync endpoint) on its way
    to the socket. A chunk's buffer goes back to the pool once the consumer asks for the next one."""
    reads = _reads(plan, first, last, storage.whole_reads)
    if (header := _header_part(plan, first, last)) is not None:
        yield header
    session = storage.async_reads.session() if storage.async_reads is not None and reads else None
    pending = _Pending(storage, reads, _async_start(storage, session))
    try:
        while (item := pending.next()) is not None:
            read, future = item
            data = await future
            pending.handed_on(read)
            yield data
            POOL.give(data)  # reused only once no view of it is left (portal/archive/buffers.py)
            del data
    finally:
        pending.cancel()
        if session is not None:
            session.close()
