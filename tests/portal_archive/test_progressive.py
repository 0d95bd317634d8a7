"""Progressive MP4 downloads: laid out from the index, size up front, Range / If-Range / resume, plays everywhere."""

import io
import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import httpx
import pytest
from sqlalchemy import func, select, update

from cloud_sync.segments import init_path
from portal.archive.layout_cache import LAYOUTS
from portal.archive.mp4 import iter_boxes
from portal.models import ArchiveSegment
from tests.fixtures.served import served
from tests.portal_archive.conftest import World, run_id
from tests.portal_archive.media import Media

GOP = 1.0  # the test media's keyframe interval (seconds)


def _get(w: World, start: datetime, duration: float, **headers: str):
    return w.client.get(
        "/api/v1/cameras/cam1/download",
        headers={**w.auth(w.alice), **headers},
        params={"start": start.isoformat(), "duration": duration},
    )


def _ffprobe_duration(data: bytes) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", "-i", "pipe:0"],
        input=data,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return float(json.loads(out.stdout)["format"]["duration"])


def _top_boxes(data: bytes) -> list[bytes]:
    return [kind for kind, *_ in iter_boxes(data)]


def test_progressive_file_plays_with_moov_first_and_serves_ranges(any_world: World) -> None:
    w = any_world  # on S3 the media is read on the event loop (portal/archive/s3_async.py)
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    w.upload_run("cam1", run_id(t0), t0, 30)
    with w.services.db.session() as db:  # the tables were kept at ingest
        assert db.scalar(select(func.count()).where(ArchiveSegment.sample_table.is_(None))) == 0
    start, duration = t0 + timedelta(seconds=10.5), 120.0
    full = _get(w, start, duration)
    assert full.status_code == 200, full.text
    data = full.content
    assert int(full.headers["content-length"]) == len(data)
    assert full.headers["accept-ranges"] == "bytes"
    assert _top_boxes(data) == [b"ftyp", b"moov", b"mdat"]  # fast start: the moov before the media
    # Cut at the keyframe at 10 s, ends at 130.5 s: within one GOP of the asked length.
    assert abs(_ffprobe_duration(data) - duration) <= GOP
    with av.open(io.BytesIO(data)) as container:
        frames = list(container.decode(video=0))
    assert frames[0].key_frame and frames[0].width == 160 and frames[-1].height == 120
    assert len(frames) == round(float(full.headers["x-content-duration"]) * 5)

    size, etag = len(data), full.headers["etag"]
    middle = _get(w, start, duration, Range=f"bytes={size // 3}-{size // 3 + 99_999}")
    assert middle.status_code == 206
    assert middle.headers["content-range"] == f"bytes {size // 3}-{size // 3 + 99_999}/{size}"
    assert middle.content == data[size // 3 : size // 3 + 100_000]

    cut = int(size * 0.4)  # a download broken at 40 %, resumed with Range + If-Range
    resumed = _get(w, start, duration, Range=f"bytes={cut}-", **{"If-Range": etag})
    assert resumed.status_code == 206 and resumed.headers["etag"] == etag
    assert data[:cut] + resumed.content == data

    suffix = _get(w, start, duration, Range="bytes=-500")
    assert suffix.status_code == 206 and suffix.content == data[-500:]
    head = w.client.head(
        "/api/v1/cameras/cam1/download", headers=w.auth(w.alice), params={"start": start.isoformat(), "duration": 120}
    )
    assert head.status_code == 200 and head.headers["content-length"] == str(size) and head.content == b""
    past = _get(w, start, duration, Range=f"bytes={size}-")
    assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{size}"


def test_resume_of_a_changed_file_is_refused_not_spliced(world: World) -> None:
    w = world
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    w.upload_run("cam1", run_id(t0), t0, 5)
    first = _get(w, t0, 60)
    for seq in range(5, 10):  # more video arrived inside the range: another file now
        assert w.put_segment("cam1", run_id(t0), seq, t0 + timedelta(seconds=6 * seq)) == 201
    again = _get(w, t0, 60, Range="bytes=1000-", **{"If-Range": first.headers["etag"]})
    assert again.status_code == 200  # the whole new file, not a tail to be glued onto the old head
    assert again.headers["etag"] != first.headers["etag"]
    assert int(again.headers["content-length"]) == len(again.content) > len(first.content)


def test_segments_without_a_table_are_read_once_and_back_filled(world: World) -> None:
    w = world
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    w.upload_run("cam1", run_id(t0), t0, 8)
    reference = _get(w, t0, 48).content
    with w.services.db.session() as db:  # as stored before the tables existed
        db.execute(update(ArchiveSegment).values(sample_table=None))
    LAYOUTS.clear()  # (nor could a layout have been cached then: this file is computed afresh)
    assert _get(w, t0, 48).content == reference
    with w.services.db.session() as db:
        assert db.scalar(select(func.count()).where(ArchiveSegment.sample_table.is_(None))) == 0


def test_late_init_segments_get_their_tables_on_first_download(world: World) -> None:
    w = world
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    run = run_id(t0)
    for seq in range(3):  # segments before their run's init: no table can be read at ingest
        assert w.put_segment("cam1", run, seq, t0 + timedelta(seconds=6 * seq)) == 201
    assert w.put_init("cam1", run) in (200, 201)
    response = _get(w, t0, 18)
    assert response.status_code == 200
    assert abs(_ffprobe_duration(response.content) - 18) <= GOP


def test_outage_is_stitched_and_fmp4_stays_available(world: World) -> None:
    w = world
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    end_a = w.upload_run("cam1", run_id(t0, "aaaaaa"), t0, 10)
    t1 = end_a + timedelta(minutes=5)
    w.upload_run("cam1", run_id(t1, "bbbbbb"), t1, 10)
    span = (t1 - end_a).total_seconds() + 60
    progressive = _get(w, end_a - timedelta(seconds=30), span)
    assert progressive.status_code == 200
    assert 59 <= _ffprobe_duration(progressive.content) <= 61  # the outage collapsed, as in the fragmented clip
    fragmented = w.client.get(
        "/api/v1/cameras/cam1/download",
        headers=w.auth(w.alice),
        params={"start": (end_a - timedelta(seconds=30)).isoformat(), "duration": span, "format": "fmp4"},
    )
    assert fragmented.status_code == 200 and "content-length" not in fragmented.headers
    assert b"moof" in fragmented.content[:4096]
    bad = w.client.get(
        "/api/v1/cameras/cam1/download",
        headers=w.auth(w.alice),
        params={"start": t0.isoformat(), "duration": 60, "format": "avi"},
    )
    assert bad.status_code == 422 and "format" in bad.text


def test_codec_change_inside_the_range_is_refused_naming_the_moment(world: World) -> None:
    w = world
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    end_a = w.upload_run("cam1", run_id(t0, "aaaaaa"), t0, 3)
    run_b = run_id(end_a, "bbbbbb")
    other_init = w.media.init.replace(b"avc1", b"avc3")  # a different sample description
    put = w.client.put(
        init_path("cam1", run_b),
        content=other_init,
        headers={**w.auth(w.upload_token), "Content-Type": "video/mp4"},
    )
    assert put.status_code in (200, 201), put.text
    for seq in range(3):
        assert w.put_segment("cam1", run_b, seq, end_a + timedelta(seconds=6 * seq)) == 201
    refused = _get(w, t0, 36)
    assert refused.status_code == 409
    assert "codec settings change at" in refused.json()["detail"] and "format=fmp4" in refused.json()["detail"]
    assert _get(w, t0, (end_a - t0).total_seconds()).status_code == 200  # up to the change is fine


def _encode_with_b_frames(workdir: Path) -> Media:
    """12 s of 160x120 25 fps with B-frames (composition offsets: the moov needs a ctts)."""
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25",
         "-t", "12", "-c:v", "libx264", "-preset", "veryfast", "-bf", "2", "-g", "25", "-keyint_min", "25",
         "-sc_threshold", "0", "-pix_fmt", "yuv420p", "-f", "hls", "-hls_time", "6", "-hls_segment_type", "fmp4",
         "-hls_playlist_type", "vod", "-hls_fmp4_init_filename", "init.mp4",
         "-hls_segment_filename", str(workdir / "s%02d.m4s"), str(workdir / "out.m3u8")],
        check=True, timeout=120,
    )  # fmt: skip
    names = sorted(p.name for p in workdir.glob("s*.m4s"))
    return Media((workdir / "init.mp4").read_bytes(), [(workdir / n).read_bytes() for n in names], [6.0] * len(names))


def test_b_frames_get_a_ctts_and_every_frame_decodes(world: World, tmp_path: Path) -> None:
    w = world
    w.media = _encode_with_b_frames(tmp_path)
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    w.upload_run("cam1", run_id(t0), t0, len(w.media.segments))
    data = _get(w, t0, 12).content
    moov = next((s, e) for kind, s, _p, e in iter_boxes(data) if kind == b"moov")
    assert b"ctts" in data[moov[0] : moov[1]]
    with av.open(io.BytesIO(data)) as container:
        frames = list(container.decode(video=0))
    assert len(frames) == 12 * 25
    pts = [f.pts for f in frames]
    assert pts == sorted(pts) and len(set(pts)) == len(pts)  # presentation order restored by the ctts
    assert abs(_ffprobe_duration(data) - 12) <= GOP


def test_downloads_through_uvicorn_are_the_same_file_and_a_lost_segment_cuts_them(any_world: World) -> None:
    w = any_world  # under uvicorn's own loop (uvloop): S3's GETs and the directory's preads as in production
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    w.upload_run("cam1", run_id(t0), t0, 30)
    start, duration = t0 + timedelta(seconds=10.5), 120.0
    reference = _get(w, start, duration).content  # the test client's loop
    params = {"start": start.isoformat(), "duration": duration}
    path = "/api/v1/cameras/cam1/download"
    with served(w.client.app) as url, httpx.Client(base_url=url, headers=w.auth(w.alice), timeout=60) as http:
        full = http.get(path, params=params)
        assert full.status_code == 200 and full.content == reference
        size, cut = len(reference), int(len(reference) * 0.4)
        middle = http.get(path, params=params, headers={"Range": f"bytes={size // 3}-{size // 3 + 99_999}"})
        assert middle.status_code == 206 and middle.content == reference[size // 3 : size // 3 + 100_000]
        resumed = http.get(path, params=params, headers={"Range": f"bytes={cut}-", "If-Range": full.headers["etag"]})
        assert resumed.status_code == 206 and reference[:cut] + resumed.content == reference

        # A segment gone under a cached layout (a disk fault; retention changes the rows, so the layout): the
        # download is cut short, never answered with other bytes in its place.
        with w.services.db.session() as db:
            key = db.scalar(select(ArchiveSegment.object_key).order_by(ArchiveSegment.start).offset(10).limit(1))
        w.services.storage.delete([key])
        with pytest.raises(httpx.RemoteProtocolError):
            http.get(path, params=params)
