"""Subscriptions, news and important messages through the JSON API, the cabinet page and the console."""

from sqlalchemy import select

from portal.models.notify import NotifyMessage
from portal.notify.categories import DEFAULTS
from tests.fixtures.keys import TEST_SECRET_KEY


def publish(centre, **fields) -> int:
    op, csrf = centre.browser("op")
    data = {"csrf": csrf, "kind": "news", "title": "T", "text": "X", "target_kind": "all"} | fields
    r = op.post("/operator/notify", data=data)
    assert r.status_code == 303, r.text
    return int(r.headers["location"].rsplit("/", 1)[1])


def test_settings_defaults_update_and_422_naming_the_field(centre) -> None:
    c = centre.client
    got = c.get("/api/v1/notifications/settings", headers=centre.auth("a")).json()
    assert got["categories"]["door"] == list(DEFAULTS["door"])
    r = c.put(
        "/api/v1/notifications/settings", json={"categories": {"news": ["sms", "push"]}}, headers=centre.auth("a")
    )
    assert r.status_code == 200 and r.json()["categories"]["news"] == ["sms", "push"]
    bad = c.put("/api/v1/notifications/settings", json={"categories": {"news": ["fax"]}}, headers=centre.auth("a"))
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "categories", "news"]
    bad = c.put("/api/v1/notifications/subscriptions", json={"categories": {"lottery": []}}, headers=centre.auth("a"))
    assert bad.status_code == 422 and "lottery" in str(bad.json()["detail"])
    assert c.put("/api/v1/notifications/settings", json={"cats": {}}, headers=centre.auth("a")).status_code == 422
    # Nothing changed by the refused calls, and B's settings are B's own.
    assert c.get("/api/v1/notifications/subscriptions", headers=centre.auth("a")).json()["categories"]["news"] == [
        "sms",
        "push",
    ]
    assert c.get("/api/v1/notifications/settings", headers=centre.auth("b")).json()["categories"]["news"] == ["email"]
    assert c.get("/api/v1/notifications/settings").status_code == 401


def test_news_feed_read_marks_and_unread_count(centre) -> None:
    first = publish(centre, title="Старая")
    pinned = publish(centre, title="Закреплённая", pinned="1")
    latest = publish(centre, title="Новая")
    c = centre.client
    news = c.get("/api/v1/news", headers=centre.auth("a")).json()
    assert [n["id"] for n in news] == [pinned, latest, first]
    assert set(news[0]) >= {"id", "title", "text", "published_at", "pinned", "read"}
    assert c.get("/api/v1/notifications", headers=centre.auth("a")).json()["unread"] == 3
    assert c.post(f"/api/v1/notifications/{latest}/read", headers=centre.auth("a")).status_code == 204
    assert c.get("/api/v1/notifications", headers=centre.auth("a")).json()["unread"] == 2
    assert c.get("/api/v1/notifications", headers=centre.auth("b")).json()["unread"] == 3  # marks are per contract
    assert c.post("/api/v1/notifications/99999/read", headers=centre.auth("a")).status_code == 404


def test_maintenance_at_an_address_reaches_exactly_its_contracts(centre) -> None:
    w = centre.world
    op, csrf = centre.browser("op")
    preview = op.post(
        "/operator/notify",
        data={"csrf": csrf, "kind": "maintenance", "title": "Профилактика", "target_kind": "address",
              "target_value": str(w.ids["addr_a"]), "action": "preview"},
    )  # fmt: skip
    assert preview.status_code == 200 and 'id="audience">Получателей: 2<' in preview.text
    notice = publish(
        centre, kind="maintenance", title="Профилактика", text="С 10 до 12 нет видео",
        target_kind="address", target_value=str(w.ids["addr_a"]),
    )  # fmt: skip
    c = centre.client
    for who, sees in (("a", True), ("c", True), ("b", False)):
        active = c.get("/api/v1/messages/active", headers=centre.auth(who)).json()
        assert (notice in [m["id"] for m in active]) is sees, who
    with centre.db.session() as s:
        reached = {m.contract_id for m in s.scalars(select(NotifyMessage).where(NotifyMessage.notice_id == notice))}
    assert reached == {w.ids["a"], w.ids["c"]}


def test_contract_list_and_city_targets_and_bad_input(centre) -> None:
    w = centre.world
    listed = publish(centre, kind="tariff", title="Тариф", target_kind="contracts", target_value=w.contract_b)
    city = publish(centre, title="Город", target_kind="city", target_value="Новокузнецк")
    c = centre.client
    assert listed in [m["id"] for m in c.get("/api/v1/messages/active", headers=centre.auth("b")).json()]
    assert listed not in [m["id"] for m in c.get("/api/v1/messages/active", headers=centre.auth("a")).json()]
    assert city in [n["id"] for n in c.get("/api/v1/news", headers=centre.auth("b")).json()]
    op, csrf = centre.browser("op")
    for bad, field in (
        ({"target_kind": "contracts", "target_value": "999999"}, "target_value"),
        ({"target_kind": "address", "target_value": "abc"}, "target_value"),
        ({"title": ""}, "title"),
        ({"kind": "spam"}, "kind"),
        ({"published_at": "завтра"}, "published_at"),
    ):
        data = {"csrf": csrf, "kind": "news", "title": "T", "target_kind": "all"} | bad
        r = op.post("/operator/notify", data=data)
        assert r.status_code == 422 and f"{field}:" in r.text, bad


def test_cabinet_page_saves_settings_and_console_lists_the_outbox(centre) -> None:
    publish(centre, title="Новость для всех")
    page, csrf = centre.browser("a")
    r = page.get("/notifications")
    assert r.status_code == 200 and "Новость для всех" in r.text and 'id="subscriptions"' in r.text
    assert page.post("/notifications/settings", data={"csrf": csrf, "door.sms": "1"}).status_code == 303
    got = centre.client.get("/api/v1/notifications/settings", headers=centre.auth("a")).json()["categories"]
    assert got["door"] == ["sms"] and got["news"] == []
    op, _ = centre.browser("op")
    log = op.get("/operator/notify/outbox")
    assert log.status_code == 200 and "a@mail.ru" in log.text
    assert page.get("/operator/notify/outbox").status_code in (303, 403)


def test_openapi_documents_the_notification_api(centre) -> None:
    paths = centre.client.get("/openapi.json").json()["paths"]
    for path in ("/api/v1/news", "/api/v1/messages/active", "/api/v1/notifications", "/api/v1/notifications/settings"):
        assert path in paths
    assert "put" in paths["/api/v1/notifications/settings"]


def test_demo_has_news_and_an_active_maintenance_banner(tmp_path) -> None:
    from fastapi.testclient import TestClient

    from dozor.demo_provision import provision
    from portal.app import create_app
    from portal.config import PortalSettings

    secrets = provision(tmp_path, tmp_path / "demo.json", (("demo-cam-1", "Вход"),))
    app = create_app(PortalSettings(data_dir=tmp_path, secret_key=TEST_SECRET_KEY, notify_worker_seconds=0))
    with TestClient(app) as client:
        login = {"contract": secrets["contract"], "password": secrets["password"]}
        headers = {"Authorization": f"Bearer {client.post('/api/v1/auth/login', json=login).json()['token']}"}
        news = client.get("/api/v1/news", headers=headers).json()
        assert len(news) == 2 and news[0]["pinned"]
        [banner] = client.get("/api/v1/messages/active", headers=headers).json()
        assert banner["kind"] == "maintenance"
        with app.state.services.db.session() as s:
            channels = {
                m.channel for m in s.scalars(select(NotifyMessage).where(NotifyMessage.notice_id == banner["id"]))
            }
        assert channels == {"email", "sms"}  # waiting in the local outbox for the worker
    app.state.services.db.dispose()
