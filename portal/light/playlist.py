"""The light live playlist: a sliding window of MPEG-TS segments (HLS version 3, as the spec's Forpost HLS), which
hls.js, Safari, set-top boxes and the Forpost apps all play."""

from collections.abc import Callable
from datetime import UTC, datetime
from math import ceil

from portal.light.store import LightRef

VERSION = 3


def _run_epoch(run_id: str) -> int:
    return int(datetime.strptime(run_id[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp())


def light_playlist(segments: list[LightRef], uri: Callable[[int], str]) -> str:
    """Media sequence = relay start (epoch seconds) + seq: it only grows, also when a new relay run starts
    (segments are at least a second long). Relay runs are not stitched: a new run is a new lease after a pause."""
    first = segments[0]
    lines = [
        "#EXTM3U",
        f"#EXT-X-VERSION:{VERSION}",
        f"#EXT-X-TARGETDURATION:{max(1, ceil(max(s.duration for s in segments)))}",
        f"#EXT-X-MEDIA-SEQUENCE:{_run_epoch(first.run_id) + first.seq}",
    ]
    for segment in segments:
        lines += [f"#EXTINF:{segment.duration:.3f},", uri(segment.id)]
    return "\n".join(lines) + "\n"
