"""Timeline thumbnails: a JPEG strip of keyframes for a window, null tiles where there is no video, ownership."""

import io
from datetime import UTC, datetime, timedelta

import av
from sqlalchemy import func, select

from portal.archive import thumbnails
from portal.archive.segments import segments_in_range
from portal.archive.storage import storage_of
from portal.models import ArchiveSegment, ArchiveThumbnail
from tests.portal_archive.conftest import World, run_id


def _thumbs(w: World, lo: datetime, hi: datetime, n: int, token: str | None = None, **params):
    query = {"from": lo.isoformat(), "to": hi.isoformat(), "n": n, **params}
    return w.client.get("/api/v1/cameras/cam1/thumbnails", params=query, headers=w.auth(token or w.alice))


def _decode(jpeg: bytes) -> av.VideoFrame:
    with av.open(io.BytesIO(jpeg), mode="r") as container:
        return next(container.decode(video=0))


def test_thumbnail_strip_of_a_window_with_a_hole(world: World) -> None:
    w = world
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    w.upload_run("cam1", run_id(t0), t0, 10)  # 60 s of video, then nothing
    answer = _thumbs(w, t0, t0 + timedelta(seconds=120), 4)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["tile_width"] == 160 and body["tile_height"] == 120  # the test video is 4:3
    assert [t["index"] for t in body["tiles"]] == [0, 1, 2, 3]
    times = [t["time"] for t in body["tiles"]]
    assert times[0] is not None and times[1] is not None and times[2:] == [None, None]
    assert datetime.fromisoformat(times[1].replace("Z", "+00:00")) >= t0 + timedelta(seconds=24)

    # The strip URL works on its own (a media token in it: an <img> sends no bearer header).
    sprite = w.client.get(body["sprite_url"].split("testserver", 1)[1], headers={"Cookie": ""})
    assert sprite.status_code == 200 and sprite.headers["content-type"] == "image/jpeg"
    frame = _decode(sprite.content)
    assert (frame.width, frame.height) == (4 * 160, 120)
    luma = frame.reformat(format="gray")
    plane, stride = bytes(luma.planes[0]), luma.planes[0].line_size
    rows = [plane[r * stride : r * stride + frame.width] for r in range(8, 112)]
    assert max(max(row[0:150]) for row in rows) > 100  # the first tile shows the test picture
    assert max(max(row[490:630]) for row in rows) < 40  # the last tile (no video there) is black
    with w.services.db.session() as db:  # one JPEG per shown segment, kept
        assert db.scalar(select(func.count()).select_from(ArchiveThumbnail)) == 2
    again = w.client.get(body["sprite_url"].split("testserver", 1)[1])
    assert again.content == sprite.content


def test_thumbnail_decodes_only_the_first_keyframe(world: World) -> None:
    w = world
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    w.upload_run("cam1", run_id(t0), t0, 2)
    storage = storage_of(w.services)
    reads: list[tuple[str, int, int]] = []
    original = storage.read_range

    def counting(key: str, offset: int, length: int) -> bytes:
        reads.append((key, offset, length))
        return original(key, offset, length)

    storage.read_range = counting  # type: ignore[method-assign]
    with w.services.db.session() as db:
        ref = segments_in_range(db, "cam1", t0, t0 + timedelta(seconds=6))[0]
        frame = thumbnails.keyframe(db, storage, ref)
        size = db.scalar(select(ArchiveSegment.bytes).where(ArchiveSegment.id == ref.id))
    assert frame.key_frame and frame.width == 160
    assert len(reads) == 1 and reads[0][2] < size / 2  # one ranged read: the keyframe's bytes, not the segment


def test_thumbnails_check_ownership_and_input(world: World) -> None:
    w = world
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    w.upload_run("cam1", run_id(t0), t0, 2)
    hi = t0 + timedelta(minutes=1)
    assert _thumbs(w, t0, hi, 4, token=w.bob).status_code == 403
    assert w.client.get("/api/v1/cameras/cam1/thumbnails", params={"from": t0.isoformat(), "to": hi.isoformat(),
                                                                   "n": 4}).status_code == 401  # fmt: skip
    assert _thumbs(w, t0, hi, 0).status_code == 422
    assert _thumbs(w, t0, hi, 1000).status_code == 422
    backwards = _thumbs(w, hi, t0, 4)
    assert backwards.status_code == 422 and "to" in backwards.json()["detail"]
    empty = _thumbs(w, t0 - timedelta(hours=2), t0 - timedelta(hours=1), 3).json()
    assert [t["time"] for t in empty["tiles"]] == [None, None, None] and empty["tile_height"] == 90
