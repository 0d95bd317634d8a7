"""Clip downloads: a valid MP4 of the asked length, stitched across runs and outages, on PostgreSQL + SeaweedFS."""

import io
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import av
import pytest

from portal.archive import segments
from portal.archive.segments import paged_in_range, segments_in_range
from tests.portal_archive.conftest import World, run_id


def _probe(data: bytes) -> tuple[float, int]:
    """(duration from the packets' timestamps, decoded frame count); decoding every frame proves it plays."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        packets = [p for p in container.demux(stream) if p.pts is not None]
        duration = float((packets[-1].pts + packets[-1].duration - packets[0].pts) * stream.time_base)
    with av.open(io.BytesIO(data)) as container:
        frames = sum(1 for _ in container.decode(video=0))
    return duration, frames


def _first_last_frames(data: bytes) -> tuple[av.VideoFrame, av.VideoFrame]:
    with av.open(io.BytesIO(data)) as container:
        first = last = None
        for frame in container.decode(video=0):
            first = first or frame
            last = frame
    return first, last


def _download(w: World, start: datetime, duration: float, token: str | None = None):
    return w.client.get(
        "/api/v1/cameras/cam1/download",
        headers=w.auth(token or w.alice),
        params={"start": start.isoformat(), "duration": duration},
    )


@pytest.mark.slow  # an hour of video through PostgreSQL and S3
def test_one_hour_clip_on_postgres_and_s3(pg_world: World) -> None:
    w = pg_world
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    w.upload_run("cam1", run_id(t0), t0, 600)
    response = _download(w, t0, 3600)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "video/mp4"
    local = t0.astimezone(UTC) + timedelta(hours=7)  # the seeds' city, Asia/Novokuznetsk
    assert f"Подъезд 1 {local:%Y-%m-%d %H-%M-%S}.mp4" in unquote(response.headers["content-disposition"])
    duration, frames = _probe(response.content)
    assert abs(duration - 3600) <= 1.0  # GOP is 1 s
    assert frames == 3600 * 5
    first, last = _first_last_frames(response.content)
    assert first.width == 160 and last.height == 120


def test_clip_cut_inside_segments_keeps_keyframe_precision(world: World) -> None:
    w = world
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    w.upload_run("cam1", run_id(t0), t0, 20)
    response = _download(w, t0 + timedelta(seconds=10.5), 60)
    assert response.status_code == 200
    duration, frames = _probe(response.content)
    assert 60 <= duration <= 61  # starts at the keyframe at 10 s, ends at 70.5 s
    assert frames == round(duration * 5)


def test_clip_across_an_outage_plays_through(pg_world: World) -> None:
    w = pg_world
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    end_a = w.upload_run("cam1", run_id(t0, "aaaaaa"), t0, 10)
    t1 = end_a + timedelta(minutes=5)  # the camera was down for five minutes
    w.upload_run("cam1", run_id(t1, "bbbbbb"), t1, 10)
    response = _download(w, end_a - timedelta(seconds=30), (t1 - end_a).total_seconds() + 60)
    assert response.status_code == 200
    duration, frames = _probe(response.content)
    assert 59 <= duration <= 61  # 30 s before the outage + 30 s after, the outage itself collapsed
    assert frames == round(duration * 5)


def test_clip_errors(world: World) -> None:
    w = world
    now = datetime.now(UTC)
    t0 = now.replace(microsecond=0) - timedelta(hours=1)
    w.upload_run("cam1", run_id(t0), t0, 5)
    outside = _download(w, now - timedelta(days=8), 60)
    assert outside.status_code == 400 and "retention of 7 days" in outside.json()["detail"]
    empty = _download(w, t0 - timedelta(minutes=30), 60)
    assert empty.status_code == 404 and "no video recorded" in empty.json()["detail"]
    too_long = _download(w, t0, 8 * 86400)
    assert too_long.status_code == 422 and "duration" in too_long.json()["detail"]
    bad = w.client.get(
        "/api/v1/cameras/cam1/download", headers=w.auth(w.alice), params={"start": "noon", "duration": 60}
    )
    assert bad.status_code == 422 and "start" in bad.json()["detail"]


def test_a_stream_lists_its_segments_a_page_at_a_time_as_it_reads(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = world
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    end_a = w.upload_run("cam1", run_id(t0, "aaaaaa"), t0, 20)
    w.upload_run("cam1", run_id(end_a + timedelta(seconds=40), "bbbbbb"), end_a + timedelta(seconds=40), 10)
    start, end = t0 + timedelta(seconds=9.5), end_a + timedelta(seconds=90)  # starts inside a segment
    opened = []

    @contextmanager
    def sessions():
        opened.append(1)
        with w.services.db.session() as db:
            yield db

    with w.services.db.session() as db:
        whole = [s.id for s in segments_in_range(db, "cam1", start, end)]
    pages = paged_in_range(sessions, "cam1", start, end, page=timedelta(seconds=20))
    assert [next(pages).id for _ in range(3)] == whole[:3] and len(opened) == 1  # nothing listed before it is read
    assert whole[:3] + [s.id for s in pages] == whole  # each segment once, in order, across pages and the outage
    assert len(opened) == 10  # 200.5 s of range in 20 s pages, the one inside the outage jumping to its end

    params = {"start": start.isoformat(), "duration": (end - start).total_seconds(), "format": "fmp4"}
    one_page = w.client.get("/api/v1/cameras/cam1/download", headers=w.auth(w.alice), params=params)
    monkeypatch.setattr(segments, "PAGE", timedelta(seconds=20))
    paged = w.client.get("/api/v1/cameras/cam1/download", headers=w.auth(w.alice), params=params)
    assert one_page.status_code == paged.status_code == 200 and paged.content == one_page.content
    duration, frames = _probe(paged.content)
    assert frames == round(duration * 5) and 160 <= duration <= 162  # 9-120 s (the keyframe at 9 s) + 50 s after
