"""Request shapes of public Forpost clients, replayed against a real portal: parameter names in other cases,
the query string repeated in the body, multipart, text/plain and JSON bodies, the spec's defaults, RTSP
refused naming the formats, and the calls beyond 1.3.2 (GetDownloadURL, GetRecords, GetCameraLastRecordTime).
One world for the module: the calls here do not disturb each other."""

from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from sqlalchemy import select, update

from portal.models.forpost import Translation
from tests.forpost.conftest import World, seeded_world

BOUNDARY = "------------------------d74496d66958873e"


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with seeded_world(tmp_path_factory.mktemp("shapes"), forpost_translation_limit=4) as world:
        yield world


def multipart(fields: dict[str, object]) -> tuple[bytes, str]:
    """A body as PHP cURL sends an array of CURLOPT_POSTFIELDS: one form-data part per field, no filenames."""
    parts = [f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items()]
    return ("".join(parts) + f"--{BOUNDARY}--\r\n").encode(), f"multipart/form-data; boundary={BOUNDARY}"


def raw(world: World, path: str, body: bytes | str, content_type: str | None) -> dict:
    headers = {"Content-Type": content_type} if content_type else {}
    answer = world.client.post(path, content=body, headers=headers)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
    return answer.json()


def test_lowercase_names_and_paths(shapes: World) -> None:
    answer = raw(shapes, "/api/login", urlencode({"login": "1001", "password": "secret-1001"}), None)
    sid = answer["SessionID"]
    number = shapes.number_of(sid, "Подъезд")
    # the public Android client: lowercase names, format=JPG
    jpg = shapes.call("gettranslationurl", sessionid=sid, cameraid=number, format="JPG")
    assert jpg["URL"].endswith("/snapshot.jpg")
    mixed = shapes.call("GetTranslationURL", SESSIONID=sid, CameraId=number, FORMAT="hls")
    assert mixed["URL"].endswith("/index.m3u8")
    assert shapes.call("GetCameras", sessionID=sid, activeonly=0)[0]["CameraID"] > 0


def test_query_repeated_in_body_multipart_text_plain_json(shapes: World) -> None:
    sid = shapes.login()
    number = shapes.number_of(sid, "Подъезд")
    query = urlencode({"SessionID": sid, "CameraID": number, "Format": "JPG"})
    # the query string and the same parameters again in a urlencoded body
    both = shapes.client.post(f"/api/GetTranslationURL?{query}", content=query,
                              headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert both.json()["URL"].endswith("/snapshot.jpg")
    # only in the query string (no body at all)
    assert raw(shapes, f"/api/GetTranslationURL?{query}", b"", None)["URL"].endswith("/snapshot.jpg")
    # an axios client: the urlencoded string sent as text/plain
    text = raw(shapes, "/api/GetTranslationURL", query, "text/plain;charset=utf-8")
    assert text["URL"].endswith("/snapshot.jpg")
    body, kind = multipart({"SessionID": sid, "CameraID": number, "Format": "JPG"})
    assert raw(shapes, "/api/GetTranslationURL", body, kind)["URL"].endswith("/snapshot.jpg")
    as_json = raw(
        shapes, "/api/GetTranslationURL", f'{{"SessionID": "{sid}", "CameraID": {number}}}', "application/json"
    )
    assert as_json["URL"].endswith("/stream.flv")
    # the body wins over the query on a repeated name
    override = shapes.client.post(f"/api/GetTranslationURL?{query}", data={"Format": "H264"})
    assert override.json()["URL"].endswith("/stream.flv")
    for junk, kind in ((b"\xff\xfe", "text/plain"), (b"{not json", "text/plain"), (b"just words", None)):
        assert raw(shapes, "/api/GetCameras", junk, kind) == {
            "ErrorCode": 3, "Error": "Неверный формат параметров запроса"}  # fmt: skip


def test_spec_defaults_and_rtsp(shapes: World) -> None:
    sid = shapes.login()
    number = shapes.number_of(sid, "Подъезд")
    url = shapes.call("GetTranslationURL", SessionID=sid, CameraID=number)["URL"]
    assert url.endswith("/stream.flv")  # Format absent: H264 (HTTP-FLV)
    with shapes.services.db.session() as db:
        newest = db.scalars(select(Translation).order_by(Translation.id.desc())).first()
        assert newest is not None and newest.format == "H264" and newest.light  # LightStream 1 by default
    shapes.client.post(url, data={"op": "stop"})
    rtsp = shapes.call("GetTranslationURL", SessionID=sid, CameraID=number, Format="RTSP")
    assert rtsp == {"ErrorCode": 3, "Error": "Формат RTSP не поддерживается; доступны: H264, HLS, JPG"}


def test_six_hls_viewers_hit_the_limit(shapes: World) -> None:
    """Six devices of one account open HLS at once: the limit (4 here, the default) refuses the fifth and
    sixth with the spec's error; JPG tiles are still served meanwhile."""
    with shapes.services.db.session() as db:  # the earlier tests' streams of this account: closed first
        db.execute(update(Translation).values(state="closed", close_reason="stop"))
        db.commit()
    number = shapes.number_of(shapes.login(), "Подъезд")
    sids = [shapes.login() for _ in range(6)]
    answers = [shapes.call("GetTranslationURL", SessionID=s, CameraID=number, Format="HLS") for s in sids]
    assert ["URL" in a for a in answers] == [True] * 4 + [False] * 2
    assert answers[4] == answers[5] == {"ErrorCode": 1, "Error": "Достигнут лимит трансляций"}
    assert "URL" in shapes.call("GetTranslationURL", SessionID=sids[5], CameraID=number, Format="JPG")
    for answer in answers[:4]:
        assert shapes.client.post(answer["URL"], data={"op": "stop"}).json() == {"res": "ok"}
    assert "URL" in shapes.call("GetTranslationURL", SessionID=sids[5], CameraID=number, Format="HLS")


def test_archive_calls_without_video(shapes: World) -> None:
    sid = shapes.login()
    number = shapes.number_of(sid, "Подъезд")
    assert shapes.call("GetCameraLastRecordTime", SessionID=sid, CameraID=number) == {"LastRecordTime": 0}
    assert shapes.call("GetRecords", SessionID=sid, CameraID=number) == []
    assert shapes.call("GetRecords", SessionID=sid, CameraID=number, LowerDate="2026-03-02 10:00:00",
                       UpperDate="2026-03-01 10:00:00")["ErrorCode"] == 3  # fmt: skip
    assert shapes.call("GetDownloadURL", SessionID=sid, CameraID=number, TS=1700000000)["ErrorCode"] == 4
    bad = shapes.call("GetDownloadURL", SessionID=sid, CameraID=number, TS=1700000000, Duration=1, Container="avi")
    assert bad == {"ErrorCode": 3, "Error": "Контейнер avi не поддерживается; доступен: mp4"}
    longer_than_a_file = shapes.call("GetDownloadURL", SessionID=sid, CameraID=number, TS=1700000000, Duration=1441)
    assert longer_than_a_file == {"ErrorCode": 3, "Error": "Неверное значение параметра Duration"}  # one MP4: a day
    foreign = shapes.call("GetCameraLastRecordTime", SessionID=sid, CameraID=99999)
    assert foreign["ErrorCode"] == 5


def test_download_url_polls_not_ready_then_gone(shapes: World) -> None:
    """A clip of the last minutes answers 202 "not ready" (still recording/uploading); an unknown URL 410."""
    import time

    sid = shapes.login()
    number = shapes.number_of(sid, "Подъезд")
    answer = shapes.call("GetDownloadURL", SessionID=sid, CameraID=number, TS=int(time.time()) - 30, Duration=1)
    url = answer["URL"]
    assert "/forpost/downloads/" in url and url.endswith("/clip.mp4")
    polled = shapes.client.get(url)
    assert polled.status_code == 202 and polled.json()["res"] == "not_ready"
    assert polled.headers["Retry-After"] == "2"
    assert shapes.client.get(url.replace(url.split("/")[-2], "x" * 43)).status_code == 410
    shapes.call("Logout", SessionID=sid)
    assert shapes.client.get(url).status_code == 410  # its session ended


def test_path_case_and_unknown(shapes: World) -> None:
    assert shapes.client.post("/api/GETCURRENTTIME").json()["ServerTime"]
    assert shapes.client.post("/api/NoSuchCall").status_code == 404
