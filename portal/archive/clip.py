"""Clips: a time range of a camera as one streamed MP4, by byte stitching, never re-encoding.

The clip is the first run's init segment followed by one rewritten moof+mdat per media segment:
- decode times are renumbered to run on without a break, so runs (each starting at decode time 0) and
  holes (camera outage, lost segments) are stitched into one continuous file that plays across the gap;
- the first segment is cut at the last keyframe at or before the requested start and the last one at
  the requested end, so the file is within one keyframe interval of the requested length.
A run whose codec setup differs from the first run's gets its own init segment inserted before its
samples (as HLS does with a new EXT-X-MAP); players that read only the first moov then rely on in-band
parameter sets.
"""

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from itertools import chain, tee

from portal.archive import mp4
from portal.archive.segments import MAX_SEGMENT_SECONDS, SegmentRef, segments_in_range
from portal.archive.storage import Storage

# The segment queries moved to portal.archive.segments stay importable from here (public API, docs/archive.md).
__all__ = [
    "MAX_SEGMENT_SECONDS",
    "MediaPart",
    "ReadAhead",
    "SegmentRef",
    "coalesce",
    "iter_media",
    "open_clip",
    "prefetch",
    "segments_in_range",
]

PREFETCH_DEPTH = 12  # segments read ahead per clip (hides object-store latency)
# Shared by every clip in the process: downloads together never hold more than this many store reads,
# so live view (served on the request thread pool) is not starved by several long downloads.
_READER_THREADS = 16
_READERS = ThreadPoolExecutor(max_workers=_READER_THREADS, thread_name_prefix="clip-read")


class ReadAhead:
    """Objects' bytes in the order of ``keys``, with up to ``depth`` reads in flight on the shared reader pool.

    Reads start when it is created. Memory is bounded: at most ``depth`` objects are read but not yet consumed.
    ``close()`` (or exhausting it) cancels what was not started.
    """

    def __init__(self, storage: Storage, keys: Iterable[str], depth: int = PREFETCH_DEPTH) -> None:
        self._read = storage.read
        self._upcoming = iter(keys)
        self._pending: deque[Future[bytes]] = deque()
        for _ in range(max(depth, 1)):
            if not self._submit_next():
                break

    def _submit_next(self) -> bool:
        key = next(self._upcoming, None)
        if key is None:
            return False
        self._pending.append(_READERS.submit(self._read, key))
        return True

    def __iter__(self) -> Iterator[bytes]:
        try:
            while self._pending:
                data = self._pending.popleft().result()
                self._submit_next()  # keep the window full before handing the bytes on
                yield data
        finally:
            self.close()

    def close(self) -> None:
        while self._pending:
            self._pending.popleft().cancel()


def prefetch(storage: Storage, keys: list[str], depth: int = PREFETCH_DEPTH) -> Iterator[bytes]:
    """Objects' bytes in order, read ahead (see ReadAhead)."""
    return iter(ReadAhead(storage, keys, depth))


class _Stitcher:
    """Renumbers decode times across segments and runs into one continuous timeline per track."""

    def __init__(self, storage: Storage, first_init: bytes) -> None:
        self.storage = storage
        self.clip_init = mp4.parse_init(first_init)
        self.inits: dict[str, mp4.InitInfo] = {}
        self.cursor = {track_id: 0 for track_id in self.clip_init.tracks}
        self.sequence = 0

    def init_of(self, key: str) -> tuple[mp4.InitInfo, bytes | None]:
        """The run's parsed init, and its bytes when they must be inserted (codec setup changed)."""
        if key in self.inits:
            return self.inits[key], None
        raw = self.storage.read(key)
        info = self.inits[key] = mp4.parse_init(raw)
        return info, (raw if info.signature != self.clip_init.signature else None)

    def fragment(self, ref: SegmentRef, data: bytes, init: mp4.InitInfo, start: datetime, end: datetime) -> bytes:
        tracks = mp4.parse_segment(data, init)
        cut = _cut_times(ref, tracks, init, start, end)
        parts = []
        for track_id, frag in tracks.items():
            src = init.tracks[track_id]
            dst = self.clip_init.by_handler(src.handler) or src
            kept = _keep(frag, src.timescale, *cut)
            scale = dst.timescale / src.timescale
            if scale != 1:
                kept = [
                    mp4.Sample(round(s.duration * scale), s.size, s.flags, round(s.cts * scale), s.offset) for s in kept
                ]
            base = self.cursor.get(dst.track_id, 0)
            self.cursor[dst.track_id] = base + sum(s.duration for s in kept)
            parts.append((dst.track_id, base, kept))
        if not any(kept for _, _, kept in parts):
            return b""
        self.sequence += 1
        return mp4.build_fragment(self.sequence, parts, data)


def _cut_times(
    ref: SegmentRef, tracks: dict[int, mp4.TrackFragment], init: mp4.InitInfo, start: datetime, end: datetime
) -> tuple[float, float]:
    """Seconds from the segment's start to keep: from the last keyframe <= start, up to end."""
    lo = max((start - ref.start).total_seconds(), 0.0)
    hi = (end - ref.start).total_seconds()
    video = next((tracks[t] for t, info in init.tracks.items() if info.handler == "vide" and t in tracks), None)
    if video is not None and lo > 0:
        timescale = init.tracks[video.track_id].timescale
        elapsed, keyframe_at = 0, 0.0
        for sample in video.samples:
            if elapsed / timescale > lo:
                break
            if sample.sync:
                keyframe_at = elapsed / timescale
            elapsed += sample.duration
        lo = keyframe_at
    return lo, hi


def _keep(frag: mp4.TrackFragment, timescale: int, lo: float, hi: float) -> list[mp4.Sample]:
    kept, elapsed = [], 0
    for sample in frag.samples:
        t = elapsed / timescale
        if lo - 1e-6 <= t < hi:
            kept.append(sample)
        elapsed += sample.duration
    return kept


def open_clip(storage: Storage, segments: Iterable[SegmentRef], start: datetime, end: datetime) -> Iterator[bytes]:
    """The MP4 bytes of [start, end) from ``segments`` (in time order: segments_in_range, paged_in_range), produced
    as they are read; ``segments`` is iterated once, as far ahead as the reads."""
    upcoming = iter(segments)
    first = next(upcoming, None)
    if first is None:
        raise ValueError("no segments in the range")
    refs, keyed = tee(chain([first], upcoming))  # the reads run ahead of the refs by at most their depth
    first_init = storage.read(first.init_key)
    yield first_init  # the first byte leaves before any media read is even started (nothing competes with it)
    media = ReadAhead(storage, (s.object_key for s in keyed))
    try:
        stitcher = _Stitcher(storage, first_init)
        stitcher.inits[first.init_key] = stitcher.clip_init
        for ref, data in zip(refs, media, strict=True):
            init, insert = stitcher.init_of(ref.init_key)
            if insert is not None:
                yield insert
            fragment = stitcher.fragment(ref, data, init, start, end)
            if fragment:
                yield fragment
    finally:
        media.close()  # a client that hangs up stops the reads not yet started


@dataclass(frozen=True)
class MediaPart:
    """One object of a range, untouched: a run's init (kind "init") or a media segment (kind "segment")."""

    kind: str
    run_id: str
    seq: int
    start: datetime
    duration: float
    data: bytes


def iter_media(storage: Storage, segments: list[SegmentRef]) -> Iterator[MediaPart]:
    """Init + media segments of a range as stored (for remuxers such as FLV): each run's init precedes its
    first segment, and again whenever the run changes."""
    current_run = None
    for ref, data in zip(segments, prefetch(storage, [s.object_key for s in segments]), strict=True):
        if ref.run_pk != current_run:
            current_run = ref.run_pk
            yield MediaPart("init", ref.run_id, -1, ref.start, 0.0, storage.read(ref.init_key))
        yield MediaPart("segment", ref.run_id, ref.seq, ref.start, ref.duration, data)


def coalesce(chunks: Iterator[bytes], size: int = 1024 * 1024) -> Iterator[bytes]:
    """Pass the first chunk at once (time to first byte), then join small ones into ``size`` writes."""
    buffer = bytearray()
    first = True
    for chunk in chunks:
        if first:
            first = False
            yield chunk
            continue
        buffer += chunk
        if len(buffer) >= size:
            yield bytes(buffer)
            buffer.clear()
    if buffer:
        yield bytes(buffer)
