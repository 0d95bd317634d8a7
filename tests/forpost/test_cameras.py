"""GetCameras, GetCameraCategories, ToggleFavCamera, EnableHomeMode, CallControlledDevice, GetEvents,
SetIOSToken, GetEmbedClient, Remember, GetCurrentTime and the unsupported calls, over HTTP."""

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from portal.models import Favourite
from portal.models.devices_state import DeviceEvent
from portal.models.forpost import HomeMode, PushToken
from portal.models.notify import NotifyMessage
from tests.forpost.conftest import World


class RecordingCommands:
    """Stands in for the MQTT command link (services.commands) where no box runs in this test:
    records what was sent and answers like a box would."""

    def __init__(self, answer: dict[str, Any] | None) -> None:
        self.answer = answer
        self.sent: list[tuple[str, str, dict[str, Any]]] = []
        self.senders: set[str] = set()

    def send(
        self, device_id: str, name: str, args: dict[str, Any], timeout: float | None = None, sent_by: str = ""
    ) -> Any:
        self.sent.append((device_id, name, args))
        self.senders.add(sent_by)
        return self.answer


def test_get_cameras_lists_own_and_shared_cameras(world: World) -> None:
    sid = world.login()
    cameras = {c["Name"]: c for c in world.call("GetCameras", SessionID=sid, IncludeParentGroups=1)}
    assert set(cameras) == {"Подъезд", "Дача-двор", "Гараж"}  # ActiveOnly=1 by default; never 1002's camera
    shared, private = cameras["Подъезд"], cameras["Гараж"]
    assert shared["Quota"] == 14 * 86400 and private["Quota"] == 30 * 86400
    assert shared["ParentGroups"] == [{"ID": shared["AccountObjectID"], "Name": "Домовые камеры", "ParentID": 0}]
    assert "ParentGroups" not in private
    assert shared["HomeModeAccess"] == 0 and private["HomeModeAccess"] == 1
    assert shared["Devices"] == [{"ID": 1, "Name": "Дверь подъезда"}]
    assert shared["Address"] == "г.Новокузнецк, ул.Шахтёров 30"
    assert cameras["Дача-двор"]["AccountObjectName"] == "Дача"
    assert "State" not in shared
    with_state = world.call("GetCameras", SessionID=sid, IncludeState=1, ActiveOnly=0)
    assert {c["Name"] for c in with_state} == {"Подъезд", "Дача-двор", "Гараж", "Выключена"}
    assert all(c["State"] in (0, 1) for c in with_state)
    assert all(isinstance(c["CameraID"], int) for c in with_state)
    assert world.call("GetCameras", SessionID=sid, ActiveOnly="maybe")["ErrorCode"] == 3


def test_categories_and_favourites(world: World) -> None:
    sid = world.login()
    entrance, garage, dacha = (world.number_of(sid, n) for n in ("Подъезд", "Гараж", "Дача-двор"))
    assert world.call("GetCameraCategories", SessionID=sid) == {
        "Дача": [dacha],
        "Другие камеры": [garage],
        "Домовые камеры": [entrance],
    }
    assert world.call("ToggleFavCamera", SessionID=sid, CameraID=entrance) == {"Result": 1}
    assert world.call("GetCameraCategories", SessionID=sid)["Избранное"] == [entrance]
    with world.services.db.session() as db:  # the cabinet's own favourites table: same list on the web
        assert db.scalars(select(Favourite.camera_id)).all() == ["entrance-1"]
    fav = {c["CameraID"]: c["Fav"] for c in world.call("GetCameras", SessionID=sid)}
    assert fav[entrance] == 1 and fav[garage] == 0
    assert world.call("ToggleFavCamera", SessionID=sid, CameraID=entrance) == {"Result": 0}
    assert "Избранное" not in world.call("GetCameraCategories", SessionID=sid)


def test_my_cameras_when_no_camera_has_an_object(world: World) -> None:
    sid = world.login("1002", "secret-1002")
    own = world.number_of(sid, "Чужая")
    assert world.call("GetCameraCategories", SessionID=sid) == {"Мои камеры": [own]}


def test_parameter_errors_and_foreign_cameras(world: World) -> None:
    sid = world.login()
    foreign = world.number_of(world.login("1002", "secret-1002"), "Чужая")
    assert world.call("ToggleFavCamera", SessionID=sid) == {"ErrorCode": 4, "Error": "Не указан параметр CameraID"}
    assert world.call("ToggleFavCamera", SessionID=sid, CameraID="abc") == {
        "ErrorCode": 3,
        "Error": "Неверное значение параметра CameraID",
    }
    for name, extra in [
        ("GetTranslationURL", {"Format": "HLS"}),
        ("GetEvents", {}),
        ("CallControlledDevice", {"ControlledDeviceID": 2}),
        ("ToggleFavCamera", {}),
        ("EnableHomeMode", {"Enable": 1}),
    ]:
        assert world.call(name, SessionID=sid, CameraID=foreign, **extra)["ErrorCode"] == 5, name
    assert world.call("GetTranslationURL", SessionID=sid, CameraID=99999, Format="HLS")["ErrorCode"] == 5


def test_home_mode_pauses_recording_of_a_private_camera(world: World) -> None:
    commands = world.services.commands = RecordingCommands({"ok": True})
    sid = world.login()
    garage, entrance = world.number_of(sid, "Гараж"), world.number_of(sid, "Подъезд")
    assert world.call("EnableHomeMode", SessionID=sid, CameraID=garage, Enable=1) == {"Result": 1}
    assert commands.sent == [("box-1", "config.set", {"cameras": [{"id": "garage-1001", "recording": False}]})]
    assert commands.senders == {"contract:1001"}
    cam = next(c for c in world.call("GetCameras", SessionID=sid) if c["CameraID"] == garage)
    assert cam["HomeMode"] == 1 and cam["IsRecord"] == 0
    with world.services.db.session() as db:
        assert db.get(HomeMode, "garage-1001").box_result == "ok"
    assert world.call("EnableHomeMode", SessionID=sid, CameraID=entrance, Enable=1)["ErrorCode"] == 5
    assert world.call("EnableHomeMode", SessionID=sid, CameraID=garage)["ErrorCode"] == 4
    assert world.call("EnableHomeMode", SessionID=sid, CameraID=garage, Enable=0) == {"Result": 1}
    assert commands.sent[-1][2] == {"cameras": [{"id": "garage-1001", "recording": True}]}


def test_call_controlled_device_reports_the_box_result(world: World) -> None:
    sid = world.login()
    entrance = world.number_of(sid, "Подъезд")
    world.services.commands = commands = RecordingCommands({"ok": True})
    assert world.call("CallControlledDevice", SessionID=sid, CameraID=entrance, ControlledDeviceID=1) == {"Result": 1}
    assert commands.sent == [("box-1", "relay.pulse", {"camera_id": "entrance-1", "relay": "door", "seconds": 3})]
    assert commands.senders == {"contract:1001"}  # the box's command log names who opened the door
    commands.answer = {"ok": False, "error": "relay stuck"}
    assert world.call("CallControlledDevice", SessionID=sid, CameraID=entrance, ControlledDeviceID=1) == {
        "Result": 0,
        "Error": "relay stuck",
    }
    commands.answer = None  # the box did not answer in time
    assert world.call("CallControlledDevice", SessionID=sid, CameraID=entrance, ControlledDeviceID=1)["ErrorCode"] == 1
    # device 2 belongs to another camera: not callable through this one
    assert world.call("CallControlledDevice", SessionID=sid, CameraID=entrance, ControlledDeviceID=2)["ErrorCode"] == 5


def test_get_events_newest_first_unix_times_local_bounds(world: World) -> None:
    base = datetime(2026, 3, 1, 3, 0, tzinfo=UTC)  # 10:00 in Novokuznetsk (UTC+7)
    with world.services.db.session() as db:
        for i, kind in enumerate(["camera_down", "camera_up", "tamper"]):
            db.add(
                DeviceEvent(
                    device_id="box-1",
                    event_id=f"ev-{i}",
                    type=kind,
                    camera_id="entrance-1",
                    ts=base + timedelta(minutes=i),
                )
            )
        db.add(DeviceEvent(device_id="box-2", event_id="ev-x", type="tamper", camera_id="flat-1002", ts=base))
    sid = world.login()
    entrance = world.number_of(sid, "Подъезд")
    events = world.call("GetEvents", SessionID=sid, CameraID=entrance)
    unix = int(base.timestamp())
    assert [e["Time"] for e in events] == [unix + 120, unix + 60, unix]  # the spec's number, e.g. 123123123
    window = world.call(
        "GetEvents",
        SessionID=sid,
        CameraID=entrance,
        LowerDate="2026-03-01 10:00:30",
        UpperDate="2026-03-01 10:05:00",
        Count=1,
    )
    assert [e["Time"] for e in window] == [unix + 120]  # the bounds are the subscriber's local time
    assert world.call("GetEvents", SessionID=sid, CameraID=entrance, LowerDate="yesterday")["ErrorCode"] == 3


def test_set_ios_token_stores_per_user_and_device(world: World) -> None:
    sid = world.login()
    params = dict(
        AppName="Forpost",
        AppVersion="1.3.2",
        DeviceUID="uid-1",
        DeviceToken="tok-a",
        DeviceName="iPhone",
        DeviceModel="iPhone12",
        DeviceVersion="17.1",
        PushBadge="enabled",
        PushAlert="disabled",
        PushSound="enabled",
    )
    assert world.call("SetIOSToken", SessionID=sid, **params) == {"Result": 1}
    assert world.call("SetIOSToken", SessionID=sid, **{**params, "DeviceToken": "tok-b"}) == {"Result": 1}
    with world.services.db.session() as db:
        rows = db.scalars(select(PushToken)).all()
        assert [(r.device_uid, r.device_token, r.push_alert) for r in rows] == [("uid-1", "tok-b", False)]
    assert world.call("SetIOSToken", SessionID=sid, DeviceUID="uid-2")["ErrorCode"] == 4
    assert world.call("SetIOSToken", DeviceUID="uid-2", DeviceToken="t")["ErrorCode"] == 2


def test_embed_client_url_is_signed_short_lived_and_bound(world: World) -> None:
    sid = world.login()
    entrance = world.number_of(sid, "Подъезд")
    answer = world.call(
        "GetEmbedClient", SessionID=sid, CustomerLogin="1001", UserIP="10.0.0.5", CameraID=entrance, IsTimeline=1
    )
    url = answer["Url"]
    page = world.client.get(url)
    assert page.status_code == 200
    assert re.search(r'data-src="http://testserver/translations/[^"]+/index\.m3u8\?container=fmp4"', page.text)
    other_viewer = TestClient(world.client.app, client=("192.0.2.9", 1))
    assert other_viewer.get(url).status_code == 403
    assert world.client.get(url.replace("t=1", "t=0")).status_code == 403  # tampered
    world.services.settings.forpost_embed_ttl = -1
    expired = world.call("GetEmbedClient", SessionID=sid, CustomerLogin="1001", UserIP="10.0.0.5")["Url"]
    assert world.client.get(expired).status_code == 403
    assert world.call("GetEmbedClient", SessionID=sid, CustomerLogin="1002", UserIP="1.2.3.4")["ErrorCode"] == 5


def test_remember_queues_a_letter(world: World) -> None:
    assert world.call("Remember", Email="Ivanov@Example.ru") == {"Result": 1}
    assert world.call("Remember", Email="nobody@example.ru") == {"Result": 0}
    assert world.call("Remember", Email="not-an-email")["ErrorCode"] == 3
    assert world.call("Remember")["ErrorCode"] == 4
    with world.services.db.session() as db:
        letters = db.scalars(select(NotifyMessage).where(NotifyMessage.channel == "email")).all()
        assert [(m.recipient, "1001" in m.text) for m in letters] == [("ivanov@example.ru", True)]


def test_current_time_and_unsupported_calls(world: World) -> None:
    now = world.call("GetCurrentTime")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", now["ServerTime"]) and now["TimeOffset"] == 7 * 3600
    for name in ("Registration", "GetBrand", "AddCamera"):
        assert world.call(name) == {"ErrorCode": 1, "Error": "Не поддерживается"}
