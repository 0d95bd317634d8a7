"""Writing a progressive (non-fragmented) MP4 header: ftyp + a moov with complete sample tables.

The codec setup (tkhd geometry, hdlr, media header, dinf, stsd) is copied from the run's init segment; the
sample tables (stts, ctts, stss, stsz, stsc, stco/co64) are written from the index (portal.archive.sample_table).
"""

import struct
from dataclasses import dataclass, field

from portal.archive.mp4 import Mp4Error, _child, iter_boxes

MOVIE_TIMESCALE = 1000
FTYP = struct.pack(">I4s4sI4s4s4s4s", 32, b"ftyp", b"isom", 0x200, b"isom", b"iso2", b"avc1", b"mp41")
_UNITY = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


def box(kind: bytes, *parts: bytes) -> bytes:
    size = 8 + sum(len(p) for p in parts)
    return struct.pack(">I4s", size, kind) + b"".join(parts)


def full_box(kind: bytes, version: int, flags: int, *parts: bytes) -> bytes:
    return box(kind, struct.pack(">I", (version << 24) | flags), *parts)


@dataclass(frozen=True)
class TrackSetup:
    """What a progressive trak copies from the init's trak."""

    track_id: int
    handler: str
    timescale: int
    tkhd_tail: bytes  # layer .. height (60 bytes, same in tkhd v0 and v1)
    tkhd_flags: int
    language: bytes  # mdhd language + pre_defined (4 bytes)
    hdlr: bytes  # whole boxes:
    media_header: bytes  # vmhd / smhd / nmhd
    dinf: bytes
    stsd: bytes


def track_setups(init: bytes) -> list[TrackSetup]:
    moov = _child(init, 0, len(init), b"moov")
    if moov is None:
        raise Mp4Error("init segment has no moov box")
    out = []
    for kind, _, payload, end in iter_boxes(init, *moov):
        if kind == b"trak":
            out.append(_setup(init, payload, end))
    return out


def _whole(data: bytes, start: int, end: int, kind: bytes) -> bytes:
    for k, box_start, _payload, box_end in iter_boxes(data, start, end):
        if k == kind:
            return bytes(data[box_start:box_end])
    raise Mp4Error(f"init segment: trak has no {kind.decode()} box")


def _setup(data: bytes, start: int, end: int) -> TrackSetup:
    tkhd, mdia = _child(data, start, end, b"tkhd"), _child(data, start, end, b"mdia")
    if tkhd is None or mdia is None:
        raise Mp4Error("trak without tkhd or mdia")
    version = data[tkhd[0]]
    flags = int.from_bytes(data[tkhd[0] + 1 : tkhd[0] + 4], "big")
    track_id = struct.unpack_from(">I", data, tkhd[0] + (20 if version == 1 else 12))[0]
    mdhd, minf = _child(data, *mdia, b"mdhd"), _child(data, *mdia, b"minf")
    if mdhd is None or minf is None:
        raise Mp4Error("mdia without mdhd or minf")
    mdhd_version = data[mdhd[0]]
    timescale = struct.unpack_from(">I", data, mdhd[0] + (20 if mdhd_version == 1 else 12))[0]
    hdlr = _whole(data, *mdia, b"hdlr")
    handler = hdlr[16:20].decode("latin-1")
    media_header = b"".join(
        bytes(data[s:e]) for k, s, _p, e in iter_boxes(data, *minf) if k in (b"vmhd", b"smhd", b"nmhd", b"sthd")
    )
    stbl = _child(data, *minf, b"stbl")
    if stbl is None:
        raise Mp4Error("minf without stbl")
    return TrackSetup(
        track_id,
        handler,
        timescale,
        bytes(data[tkhd[1] - 60 : tkhd[1]]),
        flags or 0x3,
        bytes(data[mdhd[1] - 4 : mdhd[1]]),
        hdlr,
        media_header,
        _whole(data, *minf, b"dinf"),
        _whole(data, *stbl, b"stsd"),
    )


@dataclass
class TrackSamples:
    """A track's samples across the whole file, as the sample table boxes want them."""

    setup: TrackSetup
    sizes: list[bytes] = field(default_factory=list)  # uint32 BE blobs, joined = stsz body
    count: int = 0
    stts: list[bytes] = field(default_factory=list)  # packed (count, value) entries, joined = stts body
    ctts: list[bytes] = field(default_factory=list)
    has_ctts: bool = False
    negative_cts: bool = False
    sync: list[int] = field(default_factory=list)  # 1-based sample numbers
    chunks: list[tuple[int, int]] = field(default_factory=list)  # (offset in mdat payload, samples)
    duration: int = 0


def _zero_offsets(count: int) -> bytes:
    return struct.pack(">II", count, 0) if count else b""


def add_samples(track: TrackSamples, table, chunks: list[tuple[int, int]]) -> None:
    """Append a sliced portal.archive.sample_table.TrackTable and its chunks (mdat offset, sample count)."""
    base = track.count
    track.sizes.append(table.sizes)
    track.stts.append(table.stts_raw)  # equal neighbours across segments stay separate entries: valid, cheap
    if table.ctts_raw and not track.has_ctts:
        track.has_ctts = True
        track.ctts = [_zero_offsets(base)]
    if track.has_ctts:
        track.ctts.append(table.ctts_raw or _zero_offsets(table.count))
    track.negative_cts = track.negative_cts or table.negative_cts
    track.sync += [base + 1 + i for i in table.sync]
    track.chunks.extend(chunks)
    track.count += table.count
    track.duration += table.total_duration


class _Rope:
    """A box as a list of byte strings, joined once at the end: an hour's moov nests its 1 MB of tables six
    boxes deep, and joining at every level would copy them six times."""

    __slots__ = ("parts", "size")
    parts: list[bytes]
    size: int

    def __init__(self, kind: bytes, *children: "bytes | _Rope", full: tuple[int, int] | None = None) -> None:
        parts: list[bytes] = [b""]
        size = 8
        if full is not None:
            parts.append(struct.pack(">I", (full[0] << 24) | full[1]))
            size += 4
        for child in children:
            if isinstance(child, _Rope):
                parts.extend(child.parts)
                size += child.size
            else:
                parts.append(child)
                size += len(child)
        parts[0] = struct.pack(">I4s", size, kind)
        self.parts, self.size = parts, size


def header(tracks: list[TrackSamples], mdat_payload: int) -> bytes:
    """ftyp + moov + the mdat box header, chunk offsets pointing into the mdat that follows."""
    wide_mdat = mdat_payload + 8 > 0xFFFFFFFF
    mdat_header = (
        struct.pack(">I4sQ", 1, b"mdat", mdat_payload + 16)
        if wide_mdat
        else struct.pack(">I4s", mdat_payload + 8, b"mdat")
    )
    for co64 in (False, True):
        if not co64 and mdat_payload > 0xFFFFFFFF:
            continue  # some chunk starts past 4 GiB whatever the header's size: 32-bit offsets cannot say it
        moov_len = _moov(tracks, 0, co64).size  # the size does not depend on the offsets' values
        base = len(FTYP) + moov_len + len(mdat_header)
        if co64 or base + mdat_payload <= 0xFFFFFFFF:
            return b"".join([FTYP, *_moov(tracks, base, co64).parts, mdat_header])
    raise AssertionError("unreachable")


def _moov(tracks: list[TrackSamples], base: int, co64: bool) -> _Rope:
    movie = max((_movie_time(t) for t in tracks), default=0)
    next_id = max((t.setup.track_id for t in tracks), default=0) + 1
    mvhd = full_box(
        b"mvhd", 1, 0, struct.pack(">QQIQIH10s", 0, 0, MOVIE_TIMESCALE, movie, 0x10000, 0x100, b""),
        _UNITY, bytes(24), struct.pack(">I", next_id),
    )  # fmt: skip
    return _Rope(b"moov", mvhd, *(_trak(t, base, co64) for t in tracks))


def _movie_time(track: TrackSamples) -> int:
    return track.duration * MOVIE_TIMESCALE // max(track.setup.timescale, 1)


def _trak(t: TrackSamples, base: int, co64: bool) -> _Rope:
    s = t.setup
    tkhd = full_box(b"tkhd", 1, s.tkhd_flags, struct.pack(">QQIIQ", 0, 0, s.track_id, 0, _movie_time(t)), s.tkhd_tail)
    mdhd = full_box(b"mdhd", 1, 0, struct.pack(">QQIQ", 0, 0, s.timescale, t.duration), s.language)
    stbl: list[bytes | _Rope] = [s.stsd, _entries(b"stts", 0, t.stts)]
    if t.has_ctts:
        stbl.append(_entries(b"ctts", 1 if t.negative_cts else 0, t.ctts))
    if len(t.sync) < t.count:
        stbl.append(full_box(b"stss", 0, 0, struct.pack(f">I{len(t.sync)}I", len(t.sync), *t.sync)))
    stbl.append(full_box(b"stsc", 0, 0, _stsc(t.chunks)))
    stbl.append(_Rope(b"stsz", struct.pack(">II", 0, t.count), *t.sizes, full=(0, 0)))
    offsets = [base + offset for offset, _ in t.chunks]
    kind, fmt = (b"co64", "Q") if co64 else (b"stco", "I")
    stbl.append(full_box(kind, 0, 0, struct.pack(f">I{len(offsets)}{fmt}", len(offsets), *offsets)))
    minf = _Rope(b"minf", s.media_header, s.dinf, _Rope(b"stbl", *stbl))
    return _Rope(b"trak", tkhd, _Rope(b"mdia", mdhd, s.hdlr, minf))


def _entries(kind: bytes, version: int, blobs: list[bytes]) -> _Rope:
    """An stts/ctts box from packed 8-byte entries."""
    count = sum(len(b) for b in blobs) // 8
    return _Rope(kind, struct.pack(">I", count), *blobs, full=(version, 0))


def _stsc(chunks: list[tuple[int, int]]) -> bytes:
    entries: list[tuple[int, int]] = []  # (first chunk, samples per chunk)
    for number, (_, samples) in enumerate(chunks, 1):
        if not entries or entries[-1][1] != samples:
            entries.append((number, samples))
    return struct.pack(">I", len(entries)) + b"".join(struct.pack(">III", f, n, 1) for f, n in entries)
