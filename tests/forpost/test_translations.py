"""Translation lifecycle over HTTP: per-account limit, op=stop on the URL, StopTranslation, timeout of unused
URLs, Logout closing them, and the formats' parameter checks."""

from urllib.parse import urlsplit

from sqlalchemy import select

from portal.models.forpost import Translation
from tests.fixtures.ports import wait_until
from tests.forpost.conftest import World


def _open(world: World, sid: str, camera: int, fmt: str = "HLS", **extra: object) -> dict:
    return world.call("GetTranslationURL", SessionID=sid, CameraID=camera, Format=fmt, **extra)


def _states(world: World) -> list[tuple[str, str]]:
    with world.services.db.session() as db:
        return [(t.state, t.close_reason) for t in db.scalars(select(Translation).order_by(Translation.id))]


def test_limit_and_op_stop(world: World) -> None:
    sid = world.login()
    camera = world.number_of(sid, "Подъезд")
    urls = [_open(world, sid, camera, fmt)["URL"] for fmt in ("HLS", "JPG", "H264")]
    assert [urlsplit(u).path.rsplit("/", 1)[1] for u in urls] == ["index.m3u8", "snapshot.jpg", "stream.flv"]
    assert len({urlsplit(u).path.split("/")[2] for u in urls}) == 3 and all(len(u) > 60 for u in urls)
    assert "URL" in _open(world, sid, camera)  # the JPG does not count against the stream limit (3 here)
    assert _open(world, sid, camera) == {"ErrorCode": 1, "Error": "Достигнут лимит трансляций"}
    # the limit is per account, not per session
    assert _open(world, world.login(), camera)["ErrorCode"] == 1

    stop = world.client.post(urls[0], data={"op": "stop"})
    assert stop.status_code == 200 and stop.json() == {"res": "ok"}
    assert world.client.get(urls[0]).status_code == 410  # closed for good
    assert world.client.post(urls[0], data={"op": "pause"}).status_code == 400
    assert "URL" in _open(world, sid, camera)
    assert (
        world.client.post(
            urls[0].replace(urlsplit(urls[0]).path.split("/")[2], "x" * 43), data={"op": "stop"}
        ).status_code
        == 410
    )


def test_stop_translation_legacy_call(world: World) -> None:
    sid = world.login()
    camera = world.number_of(sid, "Подъезд")
    url = _open(world, sid, camera)["URL"]
    other = world.login("1002", "secret-1002")
    assert world.call("StopTranslation", SessionID=other, URL=url) == {"Result": 0}  # not theirs
    assert world.call("StopTranslation", SessionID=sid, URL=url) == {"Result": 1}
    assert world.call("StopTranslation", SessionID=sid, URL=url) == {"Result": 0}
    assert world.call("StopTranslation", SessionID=sid, URL="http://elsewhere/x")["ErrorCode"] == 3
    assert _states(world) == [("closed", "stop")]


def test_lifecycle_new_activated_closed(world: World) -> None:
    sid = world.login()
    camera = world.number_of(sid, "Подъезд")
    url = _open(world, sid, camera)["URL"]
    assert _states(world) == [("new", "")]
    assert world.client.get(url).status_code == 200  # an empty live playlist still activates it
    assert _states(world) == [("activated", "")]
    assert world.call("Logout", SessionID=sid) == {"Result": 1}
    assert _states(world) == [("closed", "logout")]


def test_unactivated_translations_close_on_timeout(world: World) -> None:
    # Long enough that the limit is hit before any unused URL times out, even on a loaded machine.
    world.services.settings.forpost_translation_timeout = 5.0
    sid = world.login()
    camera = world.number_of(sid, "Подъезд")
    urls = [_open(world, sid, camera)["URL"] for _ in range(3)]
    world.client.get(urls[0])  # activated: the timeout is for URLs nobody opened
    assert _open(world, sid, camera)["ErrorCode"] == 1
    fourth = wait_until(lambda: _open(world, sid, camera).get("URL"), timeout=30, message="unused URLs to time out")
    assert fourth
    assert world.client.get(urls[1]).status_code == 410
    assert world.client.get(urls[0]).status_code == 200
    assert ("closed", "timeout") in _states(world)


def test_format_and_time_parameters(world: World) -> None:
    sid = world.login()
    camera = world.number_of(sid, "Подъезд")
    assert _open(world, sid, camera, "MJPEG")["ErrorCode"] == 3
    # the spec's default when Format is absent: H264 (HTTP-FLV)
    assert world.call("GetTranslationURL", SessionID=sid, CameraID=camera)["URL"].endswith("/stream.flv")
    assert _open(world, sid, camera, "HLS", TS="soon")["ErrorCode"] == 3
    assert _open(world, sid, camera, "HLS", TS=4102444800)["ErrorCode"] == 3  # 2100: not recorded yet
    assert "URL" in _open(world, sid, camera, "hls", TS=1700000000, TZ=25200)
    assert world.call("GetTranslationURL", CameraID=camera, Format="HLS")["ErrorCode"] == 2
