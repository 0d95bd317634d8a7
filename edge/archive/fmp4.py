"""Just enough ISO-BMFF parsing to time fragmented-MP4 segments from their own timestamps.

Init segment: the video track's `mdhd` timescale and `trex` default sample duration.
Media segment: each `moof` gives `tfdt` (baseMediaDecodeTime) and `trun` sample durations (falling back to
`tfhd`/`trex` defaults). Start = first tfdt, duration = sum of sample durations, both in seconds.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"mvex", b"moof", b"traf"}


class MediaError(ValueError):
    """The bytes are not a usable init or media segment; the message says why."""


@dataclass(frozen=True)
class InitInfo:
    track_id: int
    timescale: int
    default_duration: int


@dataclass(frozen=True)
class SegmentTiming:
    base_decode_time: int  # in timescale units
    ticks: int  # sum of sample durations
    samples: int
    timescale: int

    @property
    def start_seconds(self) -> float:
        return self.base_decode_time / self.timescale

    @property
    def duration(self) -> float:
        return self.ticks / self.timescale


def iter_boxes(data: bytes, start: int = 0, end: int | None = None) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload_start, box_end) for each box in data[start:end]."""
    end = len(data) if end is None else end
    pos = start
    while pos < end:
        if end - pos < 8:
            raise MediaError(f"truncated box header at byte {pos}")
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if end - pos < 16:
                raise MediaError(f"truncated large box header at byte {pos}")
            size = struct.unpack_from(">Q", data, pos + 8)[0]
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise MediaError(f"box {kind!r} at byte {pos} claims {size} bytes, beyond the data")
        yield kind, pos + header, pos + size
        pos += size


def _find(data: bytes, path: tuple[bytes, ...], start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Payload spans of every box at `path` (nested container types)."""
    found: list[tuple[int, int]] = []
    for kind, payload, box_end in iter_boxes(data, start, end):
        if kind != path[0]:
            continue
        if len(path) == 1:
            found.append((payload, box_end))
        elif kind in _CONTAINERS:
            found.extend(_find(data, path[1:], payload, box_end))
    return found


def parse_init(data: bytes) -> InitInfo:
    """Timescale of the first video track of an init segment (ftyp+moov)."""
    if not data:
        raise MediaError("init segment is empty")
    for trak_start, trak_end in _find(data, (b"moov", b"trak")):
        handlers = _find(data, (b"mdia", b"hdlr"), trak_start, trak_end)
        if not handlers or data[handlers[0][0] + 8 : handlers[0][0] + 12] != b"vide":
            continue
        tkhd = _find(data, (b"tkhd",), trak_start, trak_end)
        mdhd = _find(data, (b"mdia", b"mdhd"), trak_start, trak_end)
        if not tkhd or not mdhd:
            raise MediaError("video track lacks tkhd or mdhd")
        track_id = _tkhd_track_id(data, tkhd[0][0])
        version = data[mdhd[0][0]]
        offset = mdhd[0][0] + (20 if version == 1 else 12)
        timescale = struct.unpack_from(">I", data, offset)[0]
        if timescale <= 0:
            raise MediaError("video track timescale is zero")
        return InitInfo(track_id, timescale, _trex_default(data, track_id))
    raise MediaError("init segment has no video track")


def _tkhd_track_id(data: bytes, payload: int) -> int:
    version = data[payload]
    return struct.unpack_from(">I", data, payload + (20 if version == 1 else 12))[0]


def _trex_default(data: bytes, track_id: int) -> int:
    for start, _ in _find(data, (b"moov", b"mvex", b"trex")):
        trex_track, _desc, duration = struct.unpack_from(">III", data, start + 4)
        if trex_track == track_id:
            return duration
    return 0


def parse_segment(data: bytes, init: InitInfo) -> SegmentTiming:
    """Decode-time start and duration of a media segment (one or more moof+mdat)."""
    if not data:
        raise MediaError("segment is empty")
    base: int | None = None
    ticks = samples = 0
    has_mdat = False
    for kind, payload, box_end in iter_boxes(data):
        if kind == b"mdat":
            has_mdat = box_end > payload
        if kind != b"moof":
            continue
        for traf_start, traf_end in _find(data, (b"traf",), payload, box_end):
            track_base, track_ticks, track_samples = _parse_traf(data, traf_start, traf_end, init)
            if track_base is None:
                continue
            base = track_base if base is None else base
            ticks += track_ticks
            samples += track_samples
    if base is None or samples == 0:
        raise MediaError("segment has no samples of the video track")
    if not has_mdat:
        raise MediaError("segment has no media data")
    return SegmentTiming(base, ticks, samples, init.timescale)


def _parse_traf(data: bytes, start: int, end: int, init: InitInfo) -> tuple[int | None, int, int]:
    default_duration = init.default_duration
    base: int | None = None
    ticks = samples = 0
    for kind, payload, _box_end in iter_boxes(data, start, end):
        if kind == b"tfhd":
            flags = int.from_bytes(data[payload + 1 : payload + 4], "big")
            if struct.unpack_from(">I", data, payload + 4)[0] != init.track_id:
                return None, 0, 0
            offset = payload + 8
            offset += 8 if flags & 0x01 else 0  # base-data-offset
            offset += 4 if flags & 0x02 else 0  # sample-description-index
            if flags & 0x08:
                default_duration = struct.unpack_from(">I", data, offset)[0]
        elif kind == b"tfdt":
            version = data[payload]
            base = struct.unpack_from(">Q" if version == 1 else ">I", data, payload + 4)[0]
        elif kind == b"trun":
            run_ticks, run_samples = _parse_trun(data, payload, default_duration)
            ticks += run_ticks
            samples += run_samples
    return base, ticks, samples


def _parse_trun(data: bytes, payload: int, default_duration: int) -> tuple[int, int]:
    flags = int.from_bytes(data[payload + 1 : payload + 4], "big")
    count = struct.unpack_from(">I", data, payload + 4)[0]
    offset = payload + 8
    offset += 4 if flags & 0x001 else 0  # data-offset
    offset += 4 if flags & 0x004 else 0  # first-sample-flags
    if not flags & 0x100:
        return count * default_duration, count
    stride = 4 * sum(1 for bit in (0x100, 0x200, 0x400, 0x800) if flags & bit)
    if offset + stride * count > len(data):
        raise MediaError("trun sample table runs past the end of the segment")
    ticks = sum(struct.unpack_from(">I", data, offset + i * stride)[0] for i in range(count))
    return ticks, count
