"""The spec's HLS: an m3u8 of MPEG-TS segments, for set-top boxes and TVs that do not play fMP4.

Each stored fMP4 segment (with its run's init) is remuxed by PyAV into one TS segment — packets copied, no
re-encoding — and kept in a per-process cache bounded in bytes: many viewers of one camera cost one remux per
segment. Concurrent first requests for a segment wait for the one remux in progress (single flight). The
cabinet's player keeps fMP4 (portal.archive.playlists); these playlists differ only in their segment URIs, no
EXT-X-MAP, and version 3.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from math import ceil

from cloud_sync.segments import format_time
from portal.archive.segments import SegmentRef

VERSION = 3  # plain TS segments need nothing newer; the oldest players refuse higher versions


def ts_uri(segment_id: int) -> str:
    return f"ts/{segment_id}.ts"


def run_epoch(run_id: str) -> int:
    """A run id starts with its UTC start time: the base of the live media sequence."""
    return int(datetime.strptime(run_id[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp())


def live_ts_playlist(segments: list[SegmentRef], epoch: int) -> str:
    """A sliding window over the newest segments of one run; media sequence = run start + seq (only grows)."""
    lines = [
        "#EXTM3U",
        f"#EXT-X-VERSION:{VERSION}",
        f"#EXT-X-TARGETDURATION:{ceil(max(s.duration for s in segments))}",
        f"#EXT-X-MEDIA-SEQUENCE:{epoch + segments[0].seq}",
        f"#EXT-X-PROGRAM-DATE-TIME:{format_time(segments[0].start)}",
    ]
    for segment in segments:
        lines += [f"#EXTINF:{segment.duration:.3f},", ts_uri(segment.id)]
    return "\n".join(lines) + "\n"


def archive_ts_playlist(segments: list[SegmentRef], start: datetime) -> str:
    """VOD from ``start``: a discontinuity at each run change or hole (timestamps restart with a run)."""
    offset = max((start - segments[0].start).total_seconds(), 0.0)
    lines = [
        "#EXTM3U",
        f"#EXT-X-VERSION:{VERSION}",
        f"#EXT-X-TARGETDURATION:{ceil(max(s.duration for s in segments))}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        f"#EXT-X-START:TIME-OFFSET={offset:.3f}",
    ]
    previous: SegmentRef | None = None
    for segment in segments:
        if previous is None or segment.run_pk != previous.run_pk or segment.seq != previous.seq + 1:
            if previous is not None:
                lines.append("#EXT-X-DISCONTINUITY")
            lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{format_time(segment.start)}")
        lines += [f"#EXTINF:{segment.duration:.3f},", ts_uri(segment.id)]
        previous = segment
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


class TsCache:
    """Remuxed TS segments by object key, least recently used dropped beyond ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.remuxes = 0  # how many remuxes ran (what the cache saves is visible in tests and metrics)
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self._flights: dict[str, threading.Lock] = {}

    def get(self, key: str, make: Callable[[], bytes]) -> bytes:
        with self._lock:
            hit = self._hit(key)
            if hit is not None:
                return hit
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:  # the first request remuxes; the others wait here and then find it cached
            with self._lock:
                hit = self._hit(key)
                if hit is not None:
                    return hit
            data = make()
            with self._lock:
                self.remuxes += 1
                self._store(key, data)
                self._flights.pop(key, None)
            return data

    def _hit(self, key: str) -> bytes | None:
        data = self._items.get(key)
        if data is not None:
            self._items.move_to_end(key)
        return data

    def _store(self, key: str, data: bytes) -> None:
        if len(data) > self.max_bytes:
            return
        self._items[key] = data
        self._size += len(data)
        while self._size > self.max_bytes:
            _old, dropped = self._items.popitem(last=False)
            self._size -= len(dropped)
