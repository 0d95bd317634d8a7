"""Login, LoginSessionID checks, IP-bound sessions, Logout, Login's error codes (1/101/103/201/202; never 203)."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update

from portal.db import Database
from portal.models import LoginSession, utcnow
from tests.forpost.conftest import World


def test_paths_are_case_insensitive_and_answers_are_json(world: World) -> None:
    for path in ("/api/login", "/api/Login", "/api/LOGIN"):
        response = world.client.post(path, data={"Login": "1001", "Password": "secret-1001"})
        assert response.status_code == 200
        assert "SessionID" in response.json()
    assert world.client.post("/api/NoSuchCall", data={}).status_code == 404


def test_login_error_codes(world: World) -> None:
    unknown = world.call("Login", Login="9999", Password="x")  # like a wrong password: no enumeration
    assert unknown == {"LoginErrorCode": 1, "Error": "Неверный логин или пароль"}
    assert world.call("Login", Login="1001", Password="wrong") == {
        "LoginErrorCode": 1,
        "Error": "Неверный логин или пароль",
    }
    assert world.call("Login", Login="1003", Password="secret-1003")["LoginErrorCode"] == 101
    assert world.call("Login", Login="1004", Password="secret-1004")["LoginErrorCode"] == 103
    assert world.call("Login", Login="1001") == {"ErrorCode": 4, "Error": "Не указан параметр Password"}


def test_login_session_check(world: World) -> None:
    sid = world.login()
    assert world.call("Login", LoginSessionID=sid) == {"Login": "1001"}
    assert world.call("Login", LoginSessionID="nonsense") == {"ErrorCode": 2, "Error": "Сессия не существует"}
    with world.services.db.session() as db:
        db.execute(update(LoginSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert world.call("Login", LoginSessionID=sid) == {"ErrorCode": 2, "Error": "Сессия истекла"}
    assert world.call("GetCameras", SessionID=sid)["ErrorCode"] == 2


def test_logout_ends_the_session(world: World) -> None:
    sid = world.login()
    assert isinstance(world.call("GetCameras", SessionID=sid), list)
    assert world.call("Logout", SessionID=sid) == {"Result": 1}
    assert world.call("GetCameras", SessionID=sid) == {"ErrorCode": 2, "Error": "Сессия не существует"}
    assert world.call("Logout", SessionID=sid) == {"Result": 0}
    assert world.call("GetCameras")["ErrorCode"] == 2


def test_unbound_session_works_from_another_ip(world: World) -> None:
    sid = world.login()
    elsewhere = TestClient(world.client.app, client=("192.0.2.9", 1234))
    assert isinstance(elsewhere.post("/api/GetCameras", data={"SessionID": sid}).json(), list)


def test_ip_bound_session_is_refused_from_another_ip(world: World) -> None:
    world.services.settings.forpost_bind_ip = True
    sid = world.login()
    assert isinstance(world.call("GetCameras", SessionID=sid), list)
    elsewhere = TestClient(world.client.app, client=("192.0.2.9", 1234))
    refused = {"ErrorCode": 2, "Error": "IP-адрес сессии отличается"}
    assert elsewhere.post("/api/GetCameras", data={"SessionID": sid}).json() == refused
    assert elsewhere.post("/api/login", data={"LoginSessionID": sid}).json() == refused
    assert world.call("Login", LoginSessionID=sid) == {"Login": "1001"}


def test_login_maps_database_failures_to_201_and_202(world: World, tmp_path) -> None:
    services = world.services
    real = services.db
    try:
        services.db = Database(f"sqlite:///{tmp_path}/no/such/dir/db.sqlite3")  # cannot even open
        assert world.call("Login", Login="1001", Password="secret-1001") == {
            "LoginErrorCode": 201,
            "Error": "Сервер авторизации недоступен",
        }
        services.db = Database(f"sqlite:///{tmp_path}/empty.sqlite3")  # opens, but the query fails
        assert world.call("Login", Login="1001", Password="secret-1001") == {
            "LoginErrorCode": 202,
            "Error": "Ошибка сервера авторизации",
        }
        assert world.call("GetCameras", SessionID="x")["ErrorCode"] == 1
    finally:
        services.db = real
    assert "SessionID" in world.call("Login", Login="1001", Password="secret-1001")
