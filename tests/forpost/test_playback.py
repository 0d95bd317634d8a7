"""The translation URLs play from a real portal over HTTP: video goes in through the ingest endpoint, PyAV
decodes the live and archive HLS playlists and the HTTP-FLV stream, and the JPEG shows the right camera.

Two cameras record solid colours (red at the entrance, blue in the garage), so a frame tells whose it is.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import av
import httpx
import pytest

from tests.forpost.conftest import World
from tests.forpost.media_world import SEGMENTS, make_videos, video_portal


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_videos(tmp_path_factory.mktemp("videos"))


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory, videos: dict[str, Path]) -> Iterator[tuple[World, datetime]]:
    with video_portal(tmp_path_factory.mktemp("playback"), videos, forpost_translation_limit=20) as world:
        yield world


def _url(world: World, camera: str, fmt: str, ts: int = 0) -> str:
    sid = world.login()
    number = world.number_of(sid, camera)
    answer = world.call("GetTranslationURL", SessionID=sid, CameraID=number, Format=fmt, TS=ts, TZ=25200)
    assert "URL" in answer, answer
    return answer["URL"]


def _decode(source: str | io.BytesIO, fmt: str | None = None, limit: int = 50) -> list[av.VideoFrame]:
    frames = []
    with av.open(source, format=fmt, timeout=30) as container:
        for frame in container.decode(video=0):
            frames.append(frame)
            if len(frames) >= limit:
                break
    return frames


def _colour(frame: av.VideoFrame) -> tuple[float, float, float]:
    rgb = bytes(frame.reformat(format="rgb24").planes[0])
    pixels = len(rgb) // 3
    return tuple(sum(rgb[i::3]) / pixels for i in range(3))  # type: ignore[return-value]


def _is(colour: tuple[float, float, float], name: str) -> bool:
    r, _g, b = colour
    return (r > 180 and b < 80) if name == "red" else (b > 180 and r < 80)


@pytest.mark.slow  # records live HLS through the portal
def test_live_hls_plays(portal: tuple[World, datetime]) -> None:
    world, _start = portal
    frames = _decode(_url(world, "Подъезд", "HLS"))
    assert len(frames) >= 5 and (frames[0].width, frames[0].height) == (160, 120)
    assert _is(_colour(frames[0]), "red")


def test_archive_hls_plays_from_ts(portal: tuple[World, datetime]) -> None:
    world, start = portal
    url = _url(world, "Гараж", "HLS", ts=int(start.timestamp()) + 3)
    playlist = httpx.get(url).text
    assert "#EXT-X-ENDLIST" in playlist and playlist.count("#EXTINF") == SEGMENTS - 1  # from the 2nd segment
    frames = _decode(url)
    assert len(frames) >= 10 and _is(_colour(frames[0]), "blue")


def test_jpg_is_a_jpeg_of_the_right_camera(portal: tuple[World, datetime]) -> None:
    world, start = portal
    for name, colour in (("Подъезд", "red"), ("Гараж", "blue")):
        for ts in (0, int(start.timestamp()) + 5):
            answer = httpx.get(_url(world, name, "JPG", ts))
            assert answer.status_code == 200 and answer.headers["content-type"] == "image/jpeg"
            assert answer.content[:2] == b"\xff\xd8"
            frames = _decode(io.BytesIO(answer.content))
            assert (frames[0].width, frames[0].height) == (160, 120) and _is(_colour(frames[0]), colour)


def test_h264_url_is_flv_that_decodes(portal: tuple[World, datetime]) -> None:
    world, start = portal
    url = _url(world, "Подъезд", "H264", ts=int(start.timestamp()))
    answer = httpx.get(url, timeout=30)
    assert answer.status_code == 200 and answer.content[:3] == b"FLV"
    with av.open(io.BytesIO(answer.content), format="flv") as container:
        assert container.streams.video[0].codec_context.name == "h264"
    frames = _decode(io.BytesIO(answer.content), "flv", limit=1000)
    assert len(frames) == 5 * 2 * SEGMENTS and _is(_colour(frames[-1]), "red")  # every frame, copied
    live = _decode(_url(world, "Гараж", "H264"), "flv", limit=5)
    assert len(live) == 5 and _is(_colour(live[0]), "blue")


def test_closed_translation_stops_playing(portal: tuple[World, datetime]) -> None:
    world, _start = portal
    url = _url(world, "Подъезд", "HLS")
    assert httpx.get(url).status_code == 200
    assert httpx.post(url, data={"op": "stop"}).json() == {"res": "ok"}
    assert httpx.get(url).status_code == 410
    with pytest.raises(av.error.HTTPClientError):
        _decode(url)
