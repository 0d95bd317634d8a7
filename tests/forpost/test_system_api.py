"""The System API as SmartYard-Server's DVR backend (server/backends/dvr/internal/internal.php) calls it:
PHP cURL multipart POSTs of the token's parameters (AdminLogin, AdminPassword, UserLogin), the camera's
stream-URL query (CameraID) and the call's own (Format/TS/TZ, Container/Duration, AccountID/ID).
Credentials are created in the operator console; scope, rate, source network, lockout and the log are checked."""

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from portal.auth.passwords import hash_password
from portal.auth.sessions import open_session
from portal.models import Operator
from portal.models.forpost import Translation
from portal.models.forpost_system import SystemOperator, SystemUse
from portal.web.csrf import CSRF_COOKIE, _sign
from tests.forpost.conftest import World, seeded_world
from tests.forpost.test_client_shapes import multipart

PASSWORD = "platform-secret-1"


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with seeded_world(tmp_path_factory.mktemp("system"), login_max_failures_contract=3) as world:
        yield world


def console(world: World) -> tuple[TestClient, str]:
    """A console operator's browser: session cookie and CSRF pair."""
    app = world.client.app
    with world.services.db.session() as db:
        op = db.scalar(select(Operator).where(Operator.login == "staff"))
        if op is None:
            op = Operator(login="staff", password_hash=hash_password("staff-password"))
            db.add(op)
            db.flush()
        token = open_session(db, operator=op, lifetime=timedelta(hours=1))[0]
        db.commit()

    class _Req:
        pass

    _Req.app = app  # type: ignore[attr-defined]
    client = TestClient(app, cookies={CSRF_COOKIE: "seed", "dozor_session": token}, follow_redirects=False)
    return client, _sign(_Req, "seed")  # type: ignore[arg-type]


def smartyard(world: World, call: str, login: str = "smartyard", **params: object) -> dict | list:
    fields = {"AdminLogin": login, "AdminPassword": PASSWORD, "UserLogin": "1001", **params}
    body, kind = multipart(fields)
    answer = world.client.post(f"/system-api/{call}", content=body, headers={"Content-Type": kind})
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.fixture(scope="module")
def credentials(system: World) -> World:
    browser, csrf = console(system)
    with system.services.db.session() as db:
        from portal.models import Address

        home = db.scalar(select(Address).where(Address.street == "Шахтёров"))
        assert home is not None
        home_id = home.id
    page = browser.get("/operator/forpost")
    assert page.status_code == 200 and "System API" in page.text
    weak = browser.post("/operator/forpost", data={"csrf": csrf, "login": "x", "password": "short",
                                                   "address_ids": [str(home_id)]})  # fmt: skip
    assert weak.status_code == 422 and "password: at least 12 characters" in weak.text
    made = browser.post(
        "/operator/forpost",
        data={"csrf": csrf, "login": "smartyard", "password": PASSWORD, "name": "SmartYard",
              "rate_per_minute": "30", "address_ids": [str(home_id)]},
    )  # fmt: skip
    assert made.status_code == 303, made.text
    scoped = browser.post(
        "/operator/forpost",
        data={"csrf": csrf, "login": "other-isp", "password": PASSWORD, "contracts": "1002",
              "allowed_ips": "192.0.2.0/24"},
    )  # fmt: skip
    assert scoped.status_code == 303
    listed = browser.get("/operator/forpost").text
    assert "smartyard" in listed and "договор 1002" in listed and "Шахтёров 30 п.1" in listed
    return system


def test_smartyard_ranges_screenshot_and_download(credentials: World) -> None:
    world = credentials
    number = world.number_of(world.login(), "Подъезд")
    # getRanges: GetCameraLastRecordTime then GetCameras(AccountID, ID) -> Quota
    assert smartyard(world, "GetCameraLastRecordTime", CameraID=number) == {"LastRecordTime": 0}
    cams = smartyard(world, "GetCameras", AccountID=1, ID=number, CameraID=number)
    assert isinstance(cams, list) and len(cams) == 1 and cams[0]["Quota"] == 14 * 86400
    assert len(smartyard(world, "GetCameras", AccountID=1)) == 4  # every camera of 1001, the disabled one too
    # getUrlOfScreenshot: GetTranslationURL Format=JPG, TS, TZ
    jpg = smartyard(world, "GetTranslationURL", CameraID=number, Format="JPG", TS=1700000000, TZ=25200)
    assert jpg["URL"].endswith("/snapshot.jpg")
    # getUrlOfRecord: GetDownloadURL Container=mp4, TS, TZ, Duration in minutes
    hour_ago = int(time.time()) - 3600
    clip = smartyard(world, "GetDownloadURL", CameraID=number, Container="mp4", TS=hour_ago, TZ=25200, Duration=5)
    assert clip["URL"].endswith("/clip.mp4")
    assert world.client.get(clip["URL"]).status_code == 404  # nothing recorded then (the video test has one)
    past = smartyard(world, "GetDownloadURL", CameraID=number, Container="mp4", TS=1700000000, TZ=25200, Duration=5)
    assert past == {"ErrorCode": 1, "Error": "Архив старше 14 дн. недоступен по вашему тарифу"}
    # a query-string token (the DVR server's "token" setting) in another case works too
    body, kind = multipart({"CameraID": number})
    lower = world.client.post(
        f"/system-api/getcameralastrecordtime?adminlogin=smartyard&adminpassword={PASSWORD}&userlogin=1001",
        content=body, headers={"Content-Type": kind},
    )  # fmt: skip
    assert lower.json() == {"LastRecordTime": 0}
    with world.services.db.session() as db:
        uses = list(db.scalars(select(SystemUse).where(SystemUse.admin_login == "smartyard")))
        assert {u.call for u in uses} >= {"GetCameraLastRecordTime", "GetCameras", "GetTranslationURL"}
        assert all(u.user_login == "1001" and u.client_ip == "10.0.0.5" for u in uses)
        refused = [(u.call, u.outcome) for u in uses if u.outcome != "ok"]
        assert refused == [("GetDownloadURL", "1 Архив старше 14 дн. недоступен по вашему тарифу")]


def test_scope_network_and_user(credentials: World) -> None:
    world = credentials
    foreign = smartyard(world, "GetCameras", UserLogin="1002")  # at another address: not in scope
    assert foreign == {"ErrorCode": 5, "Error": "Абонент вне области доступа администратора"}
    assert smartyard(world, "GetCameras", UserLogin="9999") == foreign  # unknown answers alike
    # other-isp has contract 1002 in scope but only calls from 192.0.2.0/24
    assert smartyard(world, "GetCameras", login="other-isp", UserLogin="1002")["ErrorCode"] == 5
    assert smartyard(world, "GetCameras", UserIP="not-an-ip")["ErrorCode"] == 3
    assert smartyard(world, "GetCameras", UserIP="10.1.2.3")[0]["CameraID"] > 0
    missing = world.client.post("/system-api/GetCameras", data={"AdminLogin": "smartyard"})
    assert missing.json() == {"ErrorCode": 4, "Error": "Не указан параметр AdminPassword"}
    # the Mobile API's SessionID is not a System API credential, and a subscriber's password is not one either
    body, kind = multipart({"AdminLogin": "1001", "AdminPassword": "secret-1001", "UserLogin": "1001"})
    sub = world.client.post("/system-api/GetCameras", content=body, headers={"Content-Type": kind}).json()
    assert sub["ErrorCode"] == 5
    with world.services.db.session() as db:
        refused = db.scalars(select(SystemUse).where(SystemUse.outcome != "ok")).all()
        assert any(u.outcome.startswith("5 ") and u.user_login == "1002" for u in refused)


def test_wrong_password_locks_through_the_login_throttle(credentials: World) -> None:
    world = credentials
    with world.services.db.session() as db:
        db.add(SystemOperator(login="victim", password_hash=hash_password(PASSWORD), rate_per_minute=100))
        db.commit()
    for _ in range(3):
        body, kind = multipart({"AdminLogin": "victim", "AdminPassword": "guess", "UserLogin": "1001"})
        wrong = world.client.post("/system-api/GetCameras", content=body, headers={"Content-Type": kind}).json()
        assert wrong["ErrorCode"] == 5
    # locked now (3 failures on the account here): even the right password is refused
    assert smartyard(world, "GetCameras", login="victim") == {"ErrorCode": 5, "Error": "Вход заблокирован"}


def test_rate_limit_per_credential(credentials: World) -> None:
    world = credentials
    with world.services.db.session() as db:
        db.add(SystemOperator(login="tiny", password_hash=hash_password(PASSWORD), rate_per_minute=2))
        db.flush()
        from portal.models.forpost_system import SystemScope

        tiny = db.scalar(select(SystemOperator).where(SystemOperator.login == "tiny"))
        assert tiny is not None
        db.add(SystemScope(system_operator_id=tiny.id, kind="contract", contract_id=_contract_id(db, "1001")))
        db.commit()
    assert isinstance(smartyard(world, "GetCameras", login="tiny"), list)
    assert isinstance(smartyard(world, "GetCameras", login="tiny"), list)
    assert smartyard(world, "GetCameras", login="tiny") == {"ErrorCode": 1, "Error": "Превышен лимит запросов в минуту"}


def test_disabling_a_credential_ends_its_translations(credentials: World) -> None:
    world = credentials
    number = world.number_of(world.login(), "Подъезд")
    url = smartyard(world, "GetTranslationURL", CameraID=number, Format="HLS")["URL"]
    assert world.client.get(url).status_code == 200
    with world.services.db.session() as db:
        op_id = db.scalar(select(SystemOperator.id).where(SystemOperator.login == "smartyard"))
    browser, csrf = console(world)
    assert browser.post(f"/operator/forpost/{op_id}/active", data={"csrf": csrf, "active": "0"}).status_code == 303
    assert world.client.get(url).status_code == 410
    assert smartyard(world, "GetCameras")["ErrorCode"] == 5
    with world.services.db.session() as db:
        closed = db.scalars(select(Translation).order_by(Translation.id.desc())).first()
        assert closed is not None and closed.close_reason == "revoked"
    assert browser.post(f"/operator/forpost/{op_id}/active", data={"csrf": csrf, "active": "1"}).status_code == 303
    assert isinstance(smartyard(world, "GetCameras"), list)


def _contract_id(db, number: str) -> int:
    from portal.models import Contract

    found = db.scalar(select(Contract.id).where(Contract.number == number))
    assert found is not None
    return found
