"""A media segment's sample table, kept in the index so a progressive MP4 can be laid out without reading media.

Per track: decode time of the first sample, sample sizes (big-endian uint32, ready to be an ``stsz`` body),
durations and composition offsets run-length coded as packed (count, value) entries (ready to be ``stts`` /
``ctts`` entries: a one-hour moov joins 600 segments' bytes instead of packing ~90,000 entries one by one),
sync sample indices (``stss``) and byte runs: (first sample, count, offset in the segment object) for samples
stored back to back. Serialised with struct + zlib: a 6 s segment of 150 frames takes a few hundred bytes.
"""

import struct
import zlib
from dataclasses import dataclass

from portal.archive import mp4

VERSION = 1
Rle = tuple[tuple[int, int], ...]  # (count, value)
_ENTRY = struct.Struct(">Ii")


@dataclass(frozen=True)
class TrackTable:
    track_id: int
    base_dts: int
    count: int
    sizes: bytes  # count x uint32 BE
    stts_raw: bytes  # packed (count, duration) entries
    ctts_raw: bytes  # packed (count, composition offset) entries; empty = all zero
    negative_cts: bool  # some composition offset < 0 (ctts version 1)
    sync: tuple[int, ...]  # indices of sync samples
    runs: tuple[tuple[int, int, int], ...]  # (first index, count, byte offset in the segment object)

    @property
    def stts(self) -> Rle:
        return tuple(_ENTRY.iter_unpack(self.stts_raw))

    @property
    def ctts(self) -> Rle:
        return tuple(_ENTRY.iter_unpack(self.ctts_raw))

    @property
    def total_duration(self) -> int:
        return sum(n * d for n, d in _ENTRY.iter_unpack(self.stts_raw))

    @property
    def byte_size(self) -> int:
        return sum(self.size_list())

    def size_list(self) -> tuple[int, ...]:
        return struct.unpack(f">{self.count}I", self.sizes)

    def starts(self) -> list[int]:
        """Decode time of each sample relative to the first."""
        out, t = [], 0
        for n, d in self.stts:
            for _ in range(n):
                out.append(t)
                t += d
        return out

    def slice(self, lo: int, hi: int) -> "TrackTable":
        """Samples [lo, hi) (base_dts is shifted to the first kept sample)."""
        lo, hi = max(lo, 0), min(hi, self.count)
        if lo == 0 and hi == self.count:
            return self
        hi = max(hi, lo)
        starts = self.starts()
        shift = starts[lo] if lo < self.count else self.total_duration
        sizes = self.size_list()
        runs = []
        for first, n, offset in self.runs:
            a, b = max(first, lo), min(first + n, hi)
            if a < b:
                runs.append((a - lo, b - a, offset + sum(sizes[first:a])))
        return TrackTable(
            self.track_id,
            self.base_dts + shift,
            hi - lo,
            self.sizes[4 * lo : 4 * hi],
            _pack(_rle_slice(self.stts, lo, hi)),
            _pack(_rle_slice(self.ctts, lo, hi)) if self.ctts_raw else b"",
            self.negative_cts,
            tuple(i - lo for i in self.sync if lo <= i < hi),
            tuple(runs),
        )


@dataclass(frozen=True)
class SegmentTable:
    tracks: tuple[TrackTable, ...]

    def track(self, track_id: int) -> TrackTable | None:
        return next((t for t in self.tracks if t.track_id == track_id), None)


def _rle(values: list[int]) -> Rle:
    out: list[tuple[int, int]] = []
    for v in values:
        if out and out[-1][1] == v:
            out[-1] = (out[-1][0] + 1, v)
        else:
            out.append((1, v))
    return tuple(out)


def _pack(entries: Rle) -> bytes:
    return b"".join(_ENTRY.pack(n, v) for n, v in entries)


def _rle_slice(rle: Rle, lo: int, hi: int) -> Rle:
    out, pos = [], 0
    for n, v in rle:
        a, b = max(pos, lo), min(pos + n, hi)
        if a < b:
            out.append((b - a, v))
        pos += n
    return tuple(out)


def from_fragments(tracks: dict[int, mp4.TrackFragment]) -> SegmentTable:
    """The table of a parsed media segment (mp4.parse_segment)."""
    out = []
    for track_id in sorted(tracks):
        frag = tracks[track_id]
        samples = frag.samples
        runs: list[tuple[int, int, int]] = []
        run_end = -1
        for i, s in enumerate(samples):
            if runs and run_end == s.offset:
                first, n, offset = runs[-1]
                runs[-1] = (first, n + 1, offset)
            else:
                runs.append((i, 1, s.offset))
            run_end = s.offset + s.size
        cts = [s.cts for s in samples]
        out.append(
            TrackTable(
                track_id,
                frag.base_dts,
                len(samples),
                struct.pack(f">{len(samples)}I", *(s.size for s in samples)),
                _pack(_rle([s.duration for s in samples])),
                _pack(_rle(cts)) if any(cts) else b"",
                any(c < 0 for c in cts),
                tuple(i for i, s in enumerate(samples) if s.sync),
                tuple(runs),
            )
        )
    return SegmentTable(tuple(out))


def parse(data: bytes, init: mp4.InitInfo) -> SegmentTable:
    """Read the table from a stored segment's bytes (its moof boxes)."""
    return from_fragments(mp4.parse_segment(data, init))


def encode(table: SegmentTable) -> bytes:
    out = bytearray(struct.pack(">BB", VERSION, len(table.tracks)))
    for t in table.tracks:
        counts = (len(t.stts_raw) // 8, len(t.ctts_raw) // 8, len(t.sync), len(t.runs))
        out += struct.pack(">IQIBIIII", t.track_id, t.base_dts, t.count, int(t.negative_cts), *counts)
        out += t.sizes + t.stts_raw + t.ctts_raw
        out += struct.pack(f">{len(t.sync)}I", *t.sync)
        for run in t.runs:
            out += struct.pack(">III", *run)
    return zlib.compress(bytes(out), 6)


def decode(blob: bytes) -> SegmentTable:
    data = zlib.decompress(blob)
    version, ntracks = struct.unpack_from(">BB", data, 0)
    if version != VERSION:
        raise ValueError(f"sample table version {version} is not {VERSION}")
    pos, tracks = 2, []
    for _ in range(ntracks):
        track_id, base_dts, count, negative, n_stts, n_ctts, n_sync, n_runs = struct.unpack_from(">IQIBIIII", data, pos)
        pos += 33
        sizes = data[pos : pos + 4 * count]
        pos += 4 * count
        stts = data[pos : pos + 8 * n_stts]
        pos += 8 * n_stts
        ctts = data[pos : pos + 8 * n_ctts]
        pos += 8 * n_ctts
        sync = struct.unpack_from(f">{n_sync}I", data, pos)
        pos += 4 * n_sync
        runs = tuple(struct.iter_unpack(">III", data[pos : pos + 12 * n_runs]))
        pos += 12 * n_runs
        tracks.append(TrackTable(track_id, base_dts, count, sizes, stts, ctts, bool(negative), sync, runs))  # type: ignore[arg-type]
    return SegmentTable(tuple(tracks))
