"""Timeline thumbnails: one small JPEG per segment, from its first keyframe only, and strips of them per window.

Made by the portal on first view (not at ingest, not on the box): most recorded hours are never scrubbed, so
CPU goes only to windows someone looks at, and a box stays a recorder. Making one costs one ranged read (the
keyframe's bytes, located by the sample table in the index) and the decode of that one frame; nothing else of
the segment is read or decoded (tests/bench/bench_archive_thumbnails.py measures its CPU). The JPEG is kept in
``archive_thumbnails`` and goes with its segment (foreign key, ON DELETE CASCADE) when retention drops it.

A strip for a window [lo, hi) with n tiles: tile i shows the first segment overlapping [lo + i*w, lo + (i+1)*w)
(w = (hi - lo) / n); a tile with no video there is black and its time is None.
"""

import io
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

import av
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.archive import mp4
from portal.archive.index import dialect_insert
from portal.archive.segments import SegmentRef, first_segment_in
from portal.archive.storage import Storage
from portal.archive.tables import INITS, load_tables
from portal.models import ArchiveThumbnail, utcnow

TILE_WIDTH = 160
MAX_TILES = 200


class NoKeyframe(ValueError):
    """The segment has no video keyframe to show."""


@dataclass(frozen=True)
class Tile:
    index: int
    segment: SegmentRef | None

    @property
    def time(self) -> datetime | None:
        return self.segment.start if self.segment else None


def tiles(db: Session, camera_id: str, lo: datetime, hi: datetime, n: int, since: datetime | None) -> list[Tile]:
    """The segment each of the n tiles of [lo, hi) shows (None: no video, or older than ``since``)."""
    step = (hi - lo) / n
    out = []
    for i in range(n):
        a, b = lo + step * i, lo + step * (i + 1)
        if since is not None:
            a = max(a, since)
        ref = first_segment_in(db, camera_id, a, b) if a < b else None
        out.append(Tile(i, ref))
    return out


def tile_height(storage: Storage, init_key: str) -> int:
    """The tile height for the run's picture shape at TILE_WIDTH (even, as 4:2:0 JPEG wants)."""
    _, raw = INITS.get(storage, init_key)
    width, height = _picture_size(raw)
    return max(2, round(TILE_WIDTH * height / width / 2) * 2) if width and height else TILE_WIDTH * 9 // 16


def _picture_size(init: bytes) -> tuple[int, int]:
    from portal.archive.moov import track_setups

    for setup in track_setups(init):
        if setup.handler == "vide":
            width, height = int.from_bytes(setup.tkhd_tail[52:56], "big"), int.from_bytes(setup.tkhd_tail[56:60], "big")
            return width >> 16, height >> 16
    return 0, 0


def thumbnail(db: Session, storage: Storage, ref: SegmentRef, height: int) -> bytes:
    """The segment's thumbnail JPEG (TILE_WIDTH x height), made and kept on first use."""
    cached = db.scalar(select(ArchiveThumbnail.jpeg).where(ArchiveThumbnail.segment_id == ref.id))
    if cached is not None:
        return cached
    jpeg = encode_jpeg(keyframe(db, storage, ref).reformat(width=TILE_WIDTH, height=height, format="yuvj420p"))
    # Two viewers of one window may make it at once: the second insert is a no-op, both have the same picture.
    insert = dialect_insert(db, ArchiveThumbnail).values(segment_id=ref.id, jpeg=jpeg, created_at=utcnow())
    db.execute(insert.on_conflict_do_nothing(index_elements=["segment_id"]))
    return jpeg


def keyframe(db: Session, storage: Storage, ref: SegmentRef) -> av.VideoFrame:
    """The segment's first video keyframe, decoded alone: read its bytes only, wrap them in a one-sample
    fragment after the run's init, decode one frame."""
    init, raw = INITS.get(storage, ref.init_key)
    video = init.by_handler("vide")
    table = load_tables(db, storage, [(ref.id, ref.object_key, ref.init_key)])[ref.id]
    track = table.track(video.track_id) if video else None
    if video is None or track is None or not track.sync:
        raise NoKeyframe(f"segment {ref.id} has no video keyframe")
    index, sizes = track.sync[0], track.size_list()
    first, _n, offset = next(r for r in track.runs if r[0] <= index < r[0] + r[1])
    offset += sum(sizes[first:index])
    data = storage.read_range(ref.object_key, offset, sizes[index])
    sample = mp4.Sample(1, sizes[index], 0, 0, 0)
    fragment = mp4.build_fragment(1, [(video.track_id, 0, [sample])], data)
    with av.open(io.BytesIO(raw + fragment), mode="r", format="mp4") as container:
        for frame in container.decode(video=0):
            return frame
    raise NoKeyframe(f"segment {ref.id}: the keyframe did not decode")


def encode_jpeg(frame: av.VideoFrame) -> bytes:
    encoder = av.CodecContext.create("mjpeg", "w")
    encoder.width, encoder.height, encoder.pix_fmt = frame.width, frame.height, "yuvj420p"
    encoder.time_base = Fraction(1, 25)
    encoder.options = {"q:v": "6"}  # ~3-5 KB at 160x90
    return b"".join(bytes(p) for p in [*encoder.encode(frame), *encoder.encode(None)])


def decode_jpeg(jpeg: bytes) -> av.VideoFrame:
    decoder = av.CodecContext.create("mjpeg", "r")
    frames = decoder.decode(av.Packet(jpeg))
    return frames[0].reformat(format="yuvj420p")


def strip(tile_jpegs: list[bytes | None], height: int) -> bytes:
    """One JPEG of the tiles side by side (None = a black tile)."""
    n = len(tile_jpegs)
    sprite = av.VideoFrame(TILE_WIDTH * n, height, "yuvj420p")
    frames = [decode_jpeg(j).reformat(width=TILE_WIDTH, height=height) if j else None for j in tile_jpegs]
    for p, plane in enumerate(sprite.planes):
        w, h = (TILE_WIDTH, height) if p == 0 else (TILE_WIDTH // 2, height // 2)
        blank = bytes([0 if p == 0 else 128]) * w
        sources = [bytes(f.planes[p]) if f else None for f in frames]
        strides = [f.planes[p].line_size if f else 0 for f in frames]
        pad = bytes(plane.line_size - w * n)
        rows = []
        for r in range(h):
            for src, stride in zip(sources, strides, strict=True):
                rows.append(src[r * stride : r * stride + w] if src is not None else blank)
            rows.append(pad)
        buffer = b"".join(rows)
        plane.update(buffer + bytes(plane.buffer_size - len(buffer)))
    return encode_jpeg(sprite)
