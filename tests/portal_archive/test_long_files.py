"""Long progressive files: past 4 GiB the moov says 64-bit offsets; past a day a range is a stream, not one file."""

import struct
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from portal.archive import sample_table
from portal.archive.layout_cache import cached_layout
from portal.archive.mp4 import iter_boxes
from portal.archive.progressive import MAX_FILE_SECONDS
from portal.archive.storage import storage_of
from portal.models import ArchiveSegment
from tests.portal_archive.conftest import World, run_id

DOWNLOAD = "/api/v1/cameras/cam1/download"


STBL = [b"moov", b"trak", b"mdia", b"minf", b"stbl"]


def _box(data: bytes, path: list[bytes]) -> tuple[int, int]:
    """(payload start, end) of the box at ``path`` in ftyp + moov bytes."""
    start, end = 0, len(data)
    for kind in path:
        start, end = next((p, e) for k, _, p, e in iter_boxes(data, start, end) if k == kind)
    return start, end


def test_a_file_past_4_gib_gets_64_bit_chunk_offsets_and_a_64_bit_mdat(world: World) -> None:
    w = world
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    w.upload_run("cam1", run_id(t0), t0, 3)
    big = 200 * 1024 * 1024  # every sample 200 MB in the index: 3 segments of 30 frames are ~18 GB, read never
    with w.services.db.session() as db:
        for segment in db.scalars(select(ArchiveSegment)):
            table = sample_table.decode(segment.sample_table)
            tracks = tuple(
                replace(t, sizes=struct.pack(f">{t.count}I", *[big] * t.count), runs=((0, t.count, t.runs[0][2]),))
                for t in table.tracks
            )
            segment.sample_table = sample_table.encode(sample_table.SegmentTable(tracks))
        db.commit()
    end = t0 + timedelta(seconds=18)
    with w.services.db.session() as db:
        plan = cached_layout(db, storage_of(w.services), "cam1", t0, end)
    assert plan is not None and plan.size > 2**32
    header = plan.header
    size, kind, wide = struct.unpack(">I4sQ", header[-16:])  # the mdat's header ends the header bytes
    assert (size, kind, wide) == (1, b"mdat", plan.size - len(header) + 16)
    moov = header[: len(header) - 16]
    boxes = {k: (p, e) for k, _, p, e in iter_boxes(moov, *_box(moov, STBL))}
    assert b"co64" in boxes and b"stco" not in boxes
    body = boxes[b"co64"][0]
    count = struct.unpack_from(">I", moov, body + 4)[0]  # after version and flags
    offsets = struct.unpack_from(f">{count}Q", moov, body + 8)
    assert offsets[0] == len(header) and list(offsets) == sorted(offsets) and offsets[-1] > 2**32

    head = w.client.head(DOWNLOAD, headers=w.auth(w.alice), params={"start": t0.isoformat(), "duration": 18})
    assert head.status_code == 200 and head.headers["content-length"] == str(plan.size)


def test_a_range_longer_than_a_day_is_one_stream_not_one_file(world: World) -> None:
    w = world
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    w.upload_run("cam1", run_id(t0), t0, 5)
    params = {"start": t0.isoformat(), "duration": MAX_FILE_SECONDS + 1}
    refused = w.client.get(DOWNLOAD, headers=w.auth(w.alice), params=params)
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("duration: one MP4 file holds at most 86400 seconds")
    assert "format=fmp4" in refused.json()["detail"]
    streamed = w.client.get(DOWNLOAD, headers=w.auth(w.alice), params={**params, "format": "fmp4"})
    assert streamed.status_code == 200 and "content-length" not in streamed.headers
    assert [k for k, *_ in iter_boxes(streamed.content)][:2] == [b"ftyp", b"moov"]
    a_day = w.client.get(DOWNLOAD, headers=w.auth(w.alice), params={**params, "duration": MAX_FILE_SECONDS})
    assert a_day.status_code == 200 and int(a_day.headers["content-length"]) == len(a_day.content)

    share = w.client.post(
        "/api/v1/cameras/cam1/shares",
        json={"start": t0.isoformat(), "duration": MAX_FILE_SECONDS + 1},
        headers=w.auth(w.alice),
    )
    assert share.status_code == 422 and share.json()["detail"].startswith("duration: a shared clip is one MP4 file")
