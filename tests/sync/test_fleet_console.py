"""The operator console's fleet pages on a real app (SQLite, no broker): the list filtered, searched and paged at
fleet scale, a box's own page (health, cameras, events, commands with a snapshot shown as the image), and the
command form's refusals, each naming its field and changing nothing."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cloud_sync.messages import CameraTelemetry, CommandResult, Event, Status, Telemetry
from portal.app import create_app
from portal.auth.passwords import hash_password
from portal.config import PortalSettings
from portal.fleet import listing, state, views
from portal.fleet.provisioning import add_camera, create_device
from portal.models import Address, DeviceCommand, Operator, utcnow
from tests.fixtures.forms import csrf_of
from tests.fixtures.keys import TEST_SECRET_KEY

JPEG = b"\xff\xd8\xff\xe0" + b"dozor-test-frame" + b"\xff\xd9"


@pytest.fixture
def app(tmp_path: Path):
    return create_app(PortalSettings(data_dir=tmp_path, mqtt_url="", secret_key=TEST_SECRET_KEY))


@pytest.fixture
def console(app) -> Iterator[TestClient]:
    """A browser session of an operator, logged in through the console's own form."""
    with app.state.services.db.session() as session:
        session.add(Operator(login="op", password_hash=hash_password("op-secret-1"), name="Оператор"))
    with TestClient(app) as client:
        form = client.get("/operator/login")
        answer = client.post(
            "/operator/login",
            data={"csrf": csrf_of(form.text), "login": "op", "password": "op-secret-1", "next": "/operator/fleet"},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        yield client


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr data-device="([^"]+)"', html)


def _seed_fleet(app) -> None:
    """box-000..box-004 at Шахтёров 30 п.1 online, box-005..box-009 at Ленина 5 п.2 offline, spare-1 never heard."""
    db = app.state.services.db
    with db.session() as session:
        session.add_all(
            [
                Address(id=1, city="Новокузнецк", street="Шахтёров", house="30", entrance=1),
                Address(id=2, city="Новокузнецк", street="Ленина", house="5", entrance=2),
            ]
        )
    now = utcnow()
    for i in range(10):
        create_device(db, f"box-{i:03d}", f"Щит {i}", address_id=1 if i < 5 else 2)
        with db.session() as session:
            status = Status(state="online" if i < 5 else "offline", session=1, firmware="fw-1")
            state.apply_status(session, f"box-{i:03d}", status, now)
    create_device(db, "spare-1")


def test_fleet_page_filters_searches_and_pages(app, console: TestClient, monkeypatch) -> None:
    _seed_fleet(app)
    everything = console.get("/operator/fleet")
    assert everything.status_code == 200
    assert len(_rows(everything.text)) == 11
    assert 'id="fleet-online">5<' in everything.text and 'id="fleet-offline">5<' in everything.text
    assert '<a href="/operator/fleet/box-003">box-003</a>' in everything.text

    offline = console.get("/operator/fleet", params={"state": "offline"})
    assert _rows(offline.text) == [f"box-{i:03d}" for i in range(5, 10)]
    assert "Найдено: 5" in offline.text
    assert _rows(console.get("/operator/fleet", params={"state": "unknown"}).text) == ["spare-1"]
    # Words are ANDed, each against id, name, city, street, house; «п.2» is the entrance.
    assert _rows(console.get("/operator/fleet", params={"q": "Ленина п.2"}).text) == [
        f"box-{i:03d}" for i in range(5, 10)
    ]
    assert _rows(console.get("/operator/fleet", params={"q": "Ленина п.1"}).text) == []
    assert _rows(console.get("/operator/fleet", params={"q": "BOX-007"}).text) == ["box-007"]  # Latin: any case
    assert _rows(console.get("/operator/fleet", params={"q": "ленина"}).text)[0] == "box-005"  # as capitalised
    assert _rows(console.get("/operator/fleet", params={"q": "30 online", "state": "online"}).text) == []
    assert _rows(console.get("/operator/fleet", params={"q": "100%_"}).text) == []  # LIKE's wildcards are literal
    nothing = console.get("/operator/fleet", params={"q": "Садовая"})
    assert "Под фильтр не попало ни одно устройство" in nothing.text

    bad = console.get("/operator/fleet", params={"state": "lost"})
    assert bad.status_code == 422 and "state: one of online, offline, unknown" in bad.text
    assert len(_rows(bad.text)) == 11  # the whole list, unfiltered, under the error
    too_long = console.get("/operator/fleet", params={"q": "x" * 201})
    assert too_long.status_code == 422 and "q: at most 200 characters" in too_long.text

    monkeypatch.setattr(listing, "PAGE_SIZE", 4)
    first = console.get("/operator/fleet")
    assert _rows(first.text) == ["box-000", "box-001", "box-002", "box-003"]
    assert "страница 1 из 3" in first.text and 'rel="next"' in first.text and 'rel="prev"' not in first.text
    last = console.get("/operator/fleet", params={"page": 3})
    assert _rows(last.text) == ["box-008", "box-009", "spare-1"]
    assert console.get("/operator/fleet", params={"page": 99}).text.count("<tr data-device=") == 3  # the last page
    paged = console.get("/operator/fleet", params={"state": "offline", "page": 2})
    assert _rows(paged.text) == ["box-009"] and "&page=1" in paged.text and "state=offline" in paged.text


@pytest.mark.parametrize("bound", [1000, 1], ids=["ids-bound", "ids-as-subquery"])
def test_fleet_listing_reads_one_page_of_health_and_cameras(app, monkeypatch, bound: int) -> None:
    monkeypatch.setattr(views, "BOUND_IDS", bound)  # both ways of restricting health and cameras to the page
    _seed_fleet(app)
    for i in range(10):
        add_camera(app.state.services.db, f"box-{i:03d}", f"cam-{i:03d}", "Подъезд")
    with app.state.services.db.session() as session:
        page = listing.fleet_page(session, state="offline", size=2, page=2)
        assert [r.device_id for r in page.rows] == ["box-007", "box-008"]
        assert [c["id"] for r in page.rows for c in r.cameras] == ["cam-007", "cam-008"]
        assert [r.state for r in page.rows] == ["offline", "offline"]
        assert (page.matching, page.pages, page.counts) == (5, 3, {"online": 5, "offline": 5, "unknown": 1})
        with pytest.raises(ValueError, match="page: from 1"):
            listing.fleet_page(session, page=0)


def _seed_box_history(app) -> str:
    db = app.state.services.db
    create_device(db, "box-1", "Щит у лифта")
    add_camera(db, "box-1", "cam-1", "Подъезд")
    create_device(db, "box-2")
    add_camera(db, "box-2", "cam-2", "Чужая")
    now = utcnow()
    with db.session() as session:
        state.apply_status(session, "box-1", Status(state="online", session=3, firmware="fw-3"), now)
        telemetry = Telemetry(
            uptime_s=7200,
            temperature_c=51.5,
            disk_total=32_000_000_000,
            disk_free=16_000_000_000,
            cameras={"cam-1": CameraTelemetry(state="down")},
            last_error="cam-1: connection refused",
        )
        state.apply_telemetry(session, "box-1", telemetry, now)
        state.store_event(session, "box-1", Event(type="tamper", data={"open": True}), now)
        for request_id, name, args, sent_by in (
            ("a" * 16, "snapshot", {"camera_id": "cam-1"}, "operator:ivanova"),
            ("b" * 16, "reboot", {}, ""),
            ("c" * 16, "relay.pulse", {"relay": "door", "seconds": 3}, "contract:7700123"),
            ("d" * 16, "ota.install", {"version": "2"}, "ota"),
        ):
            session.add(
                DeviceCommand(
                    request_id=request_id,
                    device_id="box-1",
                    name=name,
                    args=args,
                    status="sent",
                    sent_by=sent_by,
                    created_at=now,
                )
            )
        session.flush()
        picture = {"camera_id": "cam-1", "jpeg_base64": base64.b64encode(JPEG).decode()}
        state.apply_result(session, "box-1", CommandResult(request_id="a" * 16, ok=True, result=picture), now)
        state.apply_result(
            session, "box-1", CommandResult(request_id="b" * 16, ok=False, error="not allowed here"), now
        )
    return "box-1"


def test_box_page_shows_health_cameras_events_and_commands(app, console: TestClient) -> None:
    box = _seed_box_history(app)
    page = console.get(f"/operator/fleet/{box}")
    assert page.status_code == 200, page.text
    html = page.text
    for text in ("Щит у лифта", "в сети", "fw-3", "50.0% занято", "51.5 °C", "2.0 ч"):
        assert text in html, text
    assert '<tr data-camera="cam-1">' in html and "нет связи" in html  # the camera as its box reported it
    assert '<tr data-event="tamper">' in html and "вскрытие корпуса" in html
    snapshot = re.search(r'<img class="snapshot"[^>]*src="data:image/jpeg;base64,([^"]+)"', html)
    assert snapshot and base64.b64decode(snapshot.group(1)) == JPEG
    assert 'data-status="failed"' in html and '<span class="error">not allowed here</span>' in html
    assert "reboot: not allowed here" in html  # the box's newest error, in its facts
    assert "cam-2" not in html  # another box's camera is not offered
    who = re.findall(r'<td class="sent-by">([^<]*)</td>', html)
    assert sorted(who) == sorted(["оператор ivanova", "—", "абонент, договор 7700123", "выкатка обновления"])
    assert console.get("/operator/fleet/box-9").status_code == 404


def test_command_form_refuses_bad_input_and_says_when_no_broker(app, console: TestClient) -> None:
    box = _seed_box_history(app)
    token = csrf_of(console.get(f"/operator/fleet/{box}").text)

    def count() -> int:
        with app.state.services.db.session() as session:
            return session.scalar(select(func.count()).select_from(DeviceCommand)) or 0

    before = count()
    unknown = console.post(f"/operator/fleet/{box}/commands", data={"csrf": token, "name": "relay.pulse"})
    assert unknown.status_code == 422 and "name: одна из команд ping, snapshot" in unknown.text
    foreign = console.post(
        f"/operator/fleet/{box}/commands", data={"csrf": token, "name": "snapshot", "camera_id": "cam-2"}
    )
    assert foreign.status_code == 422 and "camera_id: выберите камеру этого устройства (box-1)" in foreign.text
    assert 'value="cam-2"' not in foreign.text
    missing = console.post(f"/operator/fleet/{box}/commands", data={"csrf": token, "name": "camera.power_cycle"})
    assert missing.status_code == 422 and "camera_id" in missing.text
    no_broker = console.post(f"/operator/fleet/{box}/commands", data={"csrf": token, "name": "ping"})
    assert no_broker.status_code == 503 and "MQTT" in no_broker.text
    forged = console.post(f"/operator/fleet/{box}/commands", data={"csrf": "forged", "name": "ping"})
    assert forged.status_code == 403
    assert console.post("/operator/fleet/box-9/commands", data={"csrf": token, "name": "ping"}).status_code == 404
    assert count() == before  # nothing was sent or stored


def test_fleet_pages_are_for_operators_only(app) -> None:
    _seed_box_history(app)
    with TestClient(app) as anonymous:
        for path in ("/operator/fleet", "/operator/fleet/box-1"):
            assert anonymous.get(path, follow_redirects=False).status_code == 303


def test_device_api_takes_the_same_filter(app, console: TestClient) -> None:
    _seed_fleet(app)

    def ids(**params: object) -> list[str]:
        answer = console.get("/api/v1/operator/devices", params=params)
        assert answer.status_code == 200, answer.text
        return [row["device_id"] for row in answer.json()]

    assert len(ids()) == 11  # no parameters: every box, as before
    assert ids(state="offline") == [f"box-{i:03d}" for i in range(5, 10)]
    assert ids(q="Ленина п.2", limit=2, offset=1) == ["box-006", "box-007"]
    assert ids(state="unknown") == ["spare-1"]
    bad = console.get("/api/v1/operator/devices", params={"state": "lost"})
    assert bad.status_code == 422 and "state: one of online, offline, unknown" in bad.json()["detail"]
    assert console.get("/api/v1/operator/devices", params={"limit": 0}).status_code == 422


@pytest.mark.slow
def test_fleet_listing_on_postgresql_with_the_c_locale_finds_cyrillic_in_either_case(
    tmp_path: Path, pg_url: str, monkeypatch
) -> None:
    monkeypatch.setattr(views, "BOUND_IDS", 1)  # the ids as a subquery with LIMIT/OFFSET, on PostgreSQL too
    app = create_app(PortalSettings(data_dir=tmp_path, database_url=pg_url, mqtt_url="", secret_key=TEST_SECRET_KEY))
    _seed_fleet(app)
    with app.state.services.db.session() as session:
        found = listing.fleet_page(session, query="ленина П2")
        assert [r.device_id for r in found.rows] == [f"box-{i:03d}" for i in range(5, 10)]
        assert found.counts == {"online": 5, "offline": 5, "unknown": 1}
        page = listing.fleet_page(session, state="online", query="шахтёров", size=2, page=3)
        assert ([r.device_id for r in page.rows], page.pages) == (["box-004"], 3)
        assert listing.fleet_page(session, query="100%_").rows == []
        assert [r.device_id for r in listing.matching_rows(session, "offline", "", 2, 3)] == ["box-008", "box-009"]
