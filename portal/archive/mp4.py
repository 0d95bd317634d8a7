"""Just enough ISO BMFF (fragmented MP4) to stitch segments into one clip without re-encoding.

Reads an init segment (tracks, timescales, trex defaults) and media segments (moof/traf/tfhd/tfdt/trun +
mdat sample bytes); writes a fresh moof+mdat with rewritten decode times and a chosen subset of samples.
"""

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

NON_SYNC = 0x00010000  # sample_is_non_sync_sample in sample flags


class Mp4Error(ValueError):
    """The bytes are not the fragmented MP4 this module understands."""


Box = tuple[bytes, int, int, int]


def iter_boxes(data: bytes | memoryview, start: int = 0, end: int | None = None) -> Iterator[Box]:
    """(type, box start, payload start, box end) of each box in data[start:end]."""
    end = len(data) if end is None else end
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise Mp4Error(f"box {kind!r} at {pos} has a bad size {size}")
        yield kind, pos, pos + header, pos + size
        pos += size


def _child(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    for k, _, payload, box_end in iter_boxes(data, start, end):
        if k == kind:
            return payload, box_end
    return None


@dataclass
class Track:
    track_id: int
    timescale: int
    handler: str
    default_duration: int = 0
    default_size: int = 0
    default_flags: int = 0


@dataclass
class InitInfo:
    tracks: dict[int, Track]
    signature: bytes  # per track: handler, timescale and sample description; equal = one moov decodes both

    def by_handler(self, handler: str) -> Track | None:
        return next((t for t in self.tracks.values() if t.handler == handler), None)


def parse_init(data: bytes) -> InitInfo:
    moov = _child(data, 0, len(data), b"moov")
    if moov is None:
        raise Mp4Error("init segment has no moov box")
    tracks: dict[int, Track] = {}
    signature = b""
    for kind, _, payload, end in iter_boxes(data, *moov):
        if kind == b"trak":
            track, stsd = _parse_trak(data, payload, end)
            tracks[track.track_id] = track
            signature += track.handler.encode() + struct.pack(">I", track.timescale) + stsd
    mvex = _child(data, *moov, b"mvex")
    if mvex is not None:
        for kind, _, payload, _end in iter_boxes(data, *mvex):
            if kind == b"trex":
                track_id, _desc, duration, size, flags = struct.unpack_from(">5I", data, payload + 4)
                if track_id in tracks:
                    t = tracks[track_id]
                    t.default_duration, t.default_size, t.default_flags = duration, size, flags
    if not tracks:
        raise Mp4Error("init segment has no tracks")
    return InitInfo(tracks, signature)


def _parse_trak(data: bytes, start: int, end: int) -> tuple[Track, bytes]:
    tkhd = _child(data, start, end, b"tkhd")
    mdia = _child(data, start, end, b"mdia")
    if tkhd is None or mdia is None:
        raise Mp4Error("trak without tkhd or mdia")
    version = data[tkhd[0]]
    track_id = struct.unpack_from(">I", data, tkhd[0] + (20 if version == 1 else 12))[0]
    mdhd = _child(data, *mdia, b"mdhd")
    hdlr = _child(data, *mdia, b"hdlr")
    if mdhd is None or hdlr is None:
        raise Mp4Error("mdia without mdhd or hdlr")
    version = data[mdhd[0]]
    timescale = struct.unpack_from(">I", data, mdhd[0] + (20 if version == 1 else 12))[0]
    handler = data[hdlr[0] + 8 : hdlr[0] + 12].decode("latin-1")
    stsd = b""
    minf = _child(data, *mdia, b"minf")
    stbl = _child(data, *minf, b"stbl") if minf else None
    found = _child(data, *stbl, b"stsd") if stbl else None
    if found:
        stsd = bytes(data[found[0] : found[1]])
    return Track(track_id, timescale, handler), stsd


@dataclass
class Sample:
    duration: int
    size: int
    flags: int
    cts: int
    offset: int  # where its bytes start in the segment

    @property
    def sync(self) -> bool:
        return not self.flags & NON_SYNC


@dataclass
class TrackFragment:
    """One track's samples in a media segment (all its trafs joined), and the decode time of the first."""

    track_id: int
    base_dts: int
    samples: list[Sample] = field(default_factory=list)


def parse_segment(data: bytes, init: InitInfo) -> dict[int, TrackFragment]:
    """Samples of each track of a media segment (any number of moof+mdat pairs)."""
    out: dict[int, TrackFragment] = {}
    for kind, box_start, payload, end in iter_boxes(data):
        if kind == b"moof":
            for tk, _, tp, te in iter_boxes(data, payload, end):
                if tk == b"traf":
                    _parse_traf(data, box_start, tp, te, init, out)
    if not out:
        raise Mp4Error("media segment has no moof with samples")
    return out


def _parse_traf(
    data: bytes, moof_start: int, start: int, end: int, init: InitInfo, out: dict[int, TrackFragment]
) -> None:
    tfhd = _child(data, start, end, b"tfhd")
    if tfhd is None:
        raise Mp4Error("traf without tfhd")
    flags = int.from_bytes(data[tfhd[0] + 1 : tfhd[0] + 4], "big")
    track_id = struct.unpack_from(">I", data, tfhd[0] + 4)[0]
    track = init.tracks.get(track_id)
    if track is None:
        raise Mp4Error(f"segment has track {track_id} that its init does not declare")
    pos = tfhd[0] + 8
    base = moof_start
    if flags & 0x1:
        (base,) = struct.unpack_from(">Q", data, pos)
        pos += 8
    pos += 4 if flags & 0x2 else 0
    defaults = [track.default_duration, track.default_size, track.default_flags]
    for i, bit in enumerate((0x8, 0x10, 0x20)):  # tfhd overrides of the trex defaults
        if flags & bit:
            defaults[i] = struct.unpack_from(">I", data, pos)[0]
            pos += 4
    tfdt = _child(data, start, end, b"tfdt")
    base_dts = None
    if tfdt is not None:
        version = data[tfdt[0]]
        base_dts = struct.unpack_from(">Q" if version == 1 else ">I", data, tfdt[0] + 4)[0]
    fragment = out.get(track_id)
    if fragment is None:
        if base_dts is None:
            raise Mp4Error("first traf of a track has no tfdt")
        fragment = out[track_id] = TrackFragment(track_id, base_dts)
    cursor = base
    for kind, _, payload, _e in iter_boxes(data, start, end):
        if kind == b"trun":
            cursor = _parse_trun(data, payload, base, cursor, (defaults[0], defaults[1], defaults[2]), fragment.samples)


def _parse_trun(
    data: bytes, pos: int, base: int, cursor: int, defaults: tuple[int, int, int], samples: list[Sample]
) -> int:
    version = data[pos]
    flags = int.from_bytes(data[pos + 1 : pos + 4], "big")
    count = struct.unpack_from(">I", data, pos + 4)[0]
    pos += 8
    if flags & 0x1:
        cursor = base + struct.unpack_from(">i", data, pos)[0]
        pos += 4
    first_flags = None
    if flags & 0x4:
        first_flags = struct.unpack_from(">I", data, pos)[0]
        pos += 4
    d_duration, d_size, d_flags = defaults
    for i in range(count):
        duration, size, sflags, cts = d_duration, d_size, d_flags, 0
        if i == 0 and first_flags is not None:
            sflags = first_flags
        if flags & 0x100:
            duration = struct.unpack_from(">I", data, pos)[0]
            pos += 4
        if flags & 0x200:
            size = struct.unpack_from(">I", data, pos)[0]
            pos += 4
        if flags & 0x400:
            sflags = struct.unpack_from(">I", data, pos)[0]
            pos += 4
        if flags & 0x800:
            cts = struct.unpack_from(">i" if version == 1 else ">I", data, pos)[0]
            pos += 4
        if cursor + size > len(data):
            raise Mp4Error("sample data runs past the end of the segment")
        samples.append(Sample(duration, size, sflags, cts, cursor))
        cursor += size
    return cursor


def build_fragment(sequence: int, parts: list[tuple[int, int, list[Sample]]], data: bytes) -> bytes:
    """A moof+mdat holding ``parts`` = [(track_id, base decode time, samples)], bytes taken from ``data``."""
    parts = [p for p in parts if p[2]]
    trun_sizes = [20 + 16 * len(samples) for _, _, samples in parts]
    traf_sizes = [8 + 16 + 20 + t for t in trun_sizes]
    moof_size = 8 + 16 + sum(traf_sizes)
    out = bytearray(struct.pack(">I4s", moof_size, b"moof"))
    out += struct.pack(">I4sII", 16, b"mfhd", 0, sequence)
    data_offset = moof_size + 8
    for (track_id, base_dts, samples), trun_size, traf_size in zip(parts, trun_sizes, traf_sizes, strict=True):
        out += struct.pack(">I4s", traf_size, b"traf")
        out += struct.pack(">I4sII", 16, b"tfhd", 0x020000, track_id)  # default-base-is-moof
        out += struct.pack(">I4sIQ", 20, b"tfdt", 0x01000000, base_dts)
        out += struct.pack(">I4sIIi", trun_size, b"trun", 0x01000F01, len(samples), data_offset)
        for s in samples:
            out += struct.pack(">IIIi", s.duration, s.size, s.flags, s.cts)
        data_offset += sum(s.size for s in samples)
    mdat_size = 8 + sum(s.size for _, _, samples in parts for s in samples)
    out += struct.pack(">I4s", mdat_size, b"mdat")
    view = memoryview(data)
    for _, _, samples in parts:
        for s in samples:
            out += view[s.offset : s.offset + s.size]
    return bytes(out)
