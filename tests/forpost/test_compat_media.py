"""Media as real clients take it, from a portal with recorded video: the spec's HLS is MPEG-TS (ffprobe says
mpegts, ffmpeg plays it live and archive, one remux per segment for many viewers), a six-tile JPG grid refreshed
every 2.5 s for a minute never hits a limit, and SmartYard-Server's screenshot and clip download work end to end
(the download URL answers "not ready" until the clip can be served, then an MP4)."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from urllib.parse import urljoin

import av
import httpx
import pytest
from sqlalchemy import select

from portal.forpost import translations
from portal.forpost.media import ts_cache_of
from portal.models.forpost import Translation
from portal.models.forpost_system import SystemOperator, SystemScope
from tests.forpost.conftest import World
from tests.forpost.media_world import SEGMENTS, make_videos, video_portal
from tests.forpost.test_client_shapes import multipart

GRID = 6
REFRESH = 2.5  # seconds between refreshes of the set-top box's grid


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, datetime]]:
    root = tmp_path_factory.mktemp("compat")
    videos = make_videos(root / "videos")
    with video_portal(root, videos, forpost_translation_limit=4) as world:  # the default stream limit
        yield world


def _url(world: World, camera: str, fmt: str, ts: int = 0) -> str:
    sid = world.login()
    answer = world.call("GetTranslationURL", SessionID=sid, CameraID=world.number_of(sid, camera), Format=fmt, TS=ts)
    assert "URL" in answer, answer
    return answer["URL"]


def _probe(url: str, *entries: str) -> str:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", ",".join(entries), "-of", "default=nw=1", url],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return out.stdout


def _segment_uris(playlist_url: str) -> list[str]:
    text = httpx.get(playlist_url, timeout=30).text
    assert "#EXT-X-MAP" not in text and "#EXT-X-VERSION:3" in text
    return [urljoin(playlist_url, line) for line in text.splitlines() if line and not line.startswith("#")]


def test_archive_hls_is_mpegts_and_plays_in_ffmpeg(media: tuple[World, datetime]) -> None:
    world, start = media
    url = _url(world, "Гараж", "HLS", ts=int(start.timestamp()))
    segments = _segment_uris(url)
    assert len(segments) == SEGMENTS and all(s.endswith(".ts") for s in segments)
    assert "format_name=mpegts" in _probe(segments[0], "format=format_name")
    answer = httpx.get(segments[0], timeout=30)
    assert answer.headers["content-type"] == "video/mp2t" and answer.content[0] == 0x47  # TS sync byte
    # ffmpeg plays the whole playlist: every frame copied (5 fps x 2 s x SEGMENTS), H.264 as recorded
    played = _probe(url, "stream=codec_name,nb_read_frames").replace("\n", " ")
    assert "codec_name=h264" in played
    counted = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v", "-show_entries",
         "stream=nb_read_frames", "-of", "csv=p=0", url],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert {int(n) for n in counted.stdout.split()} == {5 * 2 * SEGMENTS}  # the stream, also listed per program
    with av.open(io.BytesIO(answer.content), format="mpegts") as container:
        frame = next(container.decode(video=0))
        assert (frame.width, frame.height) == (160, 120)
    assert httpx.post(url, data={"op": "stop"}).json() == {"res": "ok"}


def test_live_hls_is_mpegts_and_plays_in_ffmpeg(media: tuple[World, datetime]) -> None:
    world, _start = media
    url = _url(world, "Подъезд", "HLS")
    segments = _segment_uris(url)
    assert segments and "format_name=mpegts" in _probe(segments[-1], "format=format_name")
    decoded = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", url, "-frames:v", "5", "-f", "null", "-"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert decoded.returncode == 0, decoded.stderr
    assert httpx.post(url, data={"op": "stop"}).json() == {"res": "ok"}


def test_many_viewers_cost_one_remux_per_segment(media: tuple[World, datetime]) -> None:
    world, start = media
    cache = ts_cache_of(world.services)
    urls = [_url(world, "Подъезд", "HLS", ts=int(start.timestamp()) + 1) for _ in range(3)]
    first = [_segment_uris(u) for u in urls]
    before = cache.remuxes
    bodies = [httpx.get(s, timeout=30).content for uris in first for s in uris]
    assert cache.remuxes - before <= SEGMENTS  # three viewers, at most one remux per segment (fewer if cached)
    assert len(set(bodies)) == SEGMENTS  # the viewers got the same bytes per segment
    for u in urls:
        httpx.post(u, data={"op": "stop"})


@pytest.mark.slow  # 144 real JPEGs decoded and served (about 45 s on a loaded machine)
def test_six_tile_jpg_grid_for_a_minute_never_hits_the_limit(
    media: tuple[World, datetime], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The set-top box's grid: six JPG tiles, a new URL per tile every 2.5 s, never stopped. The translations'
    clock is stepped 2.5 s per refresh, so a minute of cadence passes without sleeping a minute."""
    world, _start = media
    sid = world.login()
    numbers = [world.number_of(sid, name) for name in ("Подъезд", "Гараж")]
    moment = [translations.utcnow()]
    monkeypatch.setattr(translations, "utcnow", lambda: moment[0])
    refreshes = int(60 / REFRESH)
    for _refresh in range(refreshes):
        for tile in range(GRID):
            answer = world.call("GetTranslationURL", SessionID=sid, CameraID=numbers[tile % 2], format="JPG")
            assert "URL" in answer, answer  # never "Достигнут лимит трансляций"
            image = httpx.get(answer["URL"], timeout=30)
            assert image.status_code == 200 and image.content[:2] == b"\xff\xd8"
        moment[0] += timedelta(seconds=REFRESH)
    with world.services.db.session() as db:
        jpgs = db.scalars(select(Translation).where(Translation.format == "JPG")).all()
        delivered = [t for t in jpgs if t.close_reason == "delivered"]
        assert len(delivered) >= refreshes * GRID and all(t.state == "closed" for t in delivered)
    # a stream still opens: the tiles never held a slot
    assert "URL" in world.call("GetTranslationURL", SessionID=sid, CameraID=numbers[0], Format="HLS")


def test_smartyard_screenshot_and_clip_download(media: tuple[World, datetime]) -> None:
    world, start = media
    from portal.auth.passwords import hash_password
    from portal.models import Contract

    with world.services.db.session() as db:
        op = SystemOperator(login="smartyard", password_hash=hash_password("platform-secret-1"))
        db.add(op)
        db.flush()
        contract = db.scalar(select(Contract).where(Contract.number == "1001"))
        assert contract is not None
        db.add(SystemScope(system_operator_id=op.id, kind="contract", contract_id=contract.id))
        db.commit()
    number = world.number_of(world.login(), "Гараж")

    def system(call: str, **params: object) -> dict:
        fields = {"AdminLogin": "smartyard", "AdminPassword": "platform-secret-1", "UserLogin": "1001",
                  "CameraID": number, **params}  # fmt: skip
        body, kind = multipart(fields)
        return world.client.post(f"/system-api/{call}", content=body, headers={"Content-Type": kind}).json()

    last = system("GetCameraLastRecordTime")["LastRecordTime"]
    assert last == int((start + timedelta(seconds=2 * SEGMENTS)).timestamp())
    records = world.call("GetRecords", SessionID=world.login(), CameraID=number)
    assert records == [{"Start": int(start.timestamp()), "End": last, "Duration": 2 * SEGMENTS}]
    shot = system("GetTranslationURL", Format="JPG", TS=int(start.timestamp()) + 3, TZ=25200)
    image = httpx.get(shot["URL"], timeout=30)
    assert image.status_code == 200 and image.content[:2] == b"\xff\xd8"
    clip = system("GetDownloadURL", Container="mp4", TS=int(start.timestamp()), TZ=25200, Duration=1)
    polled = httpx.get(clip["URL"], timeout=30)  # the minute from start has not ended yet: not ready
    assert polled.status_code == 202 and "200" not in f"HTTP/1.1 {polled.status_code}"
    # a minute that ends where the recording ends (uploaded): served, the SEGMENTS x 2 s that exist in it
    ends_with_video = int(start.timestamp()) + 2 * SEGMENTS - 60
    short = system("GetDownloadURL", Container="mp4", TS=ends_with_video, TZ=25200, Duration=1)
    ready = httpx.get(short["URL"], timeout=30)
    assert ready.status_code == 200 and ready.headers["content-type"] == "video/mp4"
    # the cabinet's progressive file: size known, moov before mdat, a range resumes it byte for byte
    assert int(ready.headers["content-length"]) == len(ready.content)
    assert ready.content[4:8] == b"ftyp" and ready.content.find(b"moov") < ready.content.find(b"mdat")
    tail = httpx.get(short["URL"], headers={"Range": f"bytes={len(ready.content) // 2}-"}, timeout=30)
    assert tail.status_code == 206 and tail.content == ready.content[len(ready.content) // 2 :]
    with av.open(io.BytesIO(ready.content), format="mp4") as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert sum(1 for _ in container.decode(video=0)) > 0
