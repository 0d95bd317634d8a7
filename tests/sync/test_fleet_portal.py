"""Portal-side fleet logic on a real app (SQLite): enrolment, claim endpoint, status ordering, fleet page."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cloud_sync.messages import CameraTelemetry, Status, Telemetry
from portal.app import create_app
from portal.auth.sessions import open_session
from portal.config import PortalSettings
from portal.fleet import state
from portal.fleet.mosquitto_hash import mosquitto_verify
from portal.fleet.provisioning import ProvisioningError, add_camera, claim_device, create_device
from portal.models import Device, Operator, utcnow
from portal.notify import codes
from tests.fixtures.keys import TEST_SECRET_KEY


@pytest.fixture
def app(tmp_path: Path):
    settings = PortalSettings(
        data_dir=tmp_path, mqtt_url="", box_mqtt_url="mqtts://mqtt.example.net:8883", secret_key=TEST_SECRET_KEY
    )
    return create_app(settings)


def test_claim_endpoint_gives_credentials_once(app) -> None:
    db = app.state.services.db
    code = create_device(db, "box-1", "Шахтёров 30 п.1")
    with TestClient(app) as client:
        wrong = client.post("/api/v1/devices/claim", json={"device_id": "box-1", "claim_code": "AAAA-BBBB-CCCC"})
        assert wrong.status_code == 403 and "claim_code" in wrong.json()["detail"]
        ok = client.post("/api/v1/devices/claim", json={"device_id": "box-1", "claim_code": code.lower()})
        assert ok.status_code == 200, ok.text
        creds = ok.json()
        assert (creds["mqtt_host"], creds["mqtt_port"], creds["mqtt_tls"]) == ("mqtt.example.net", 8883, True)
        again = client.post("/api/v1/devices/claim", json={"device_id": "box-1", "claim_code": code})
        assert again.status_code == 403  # spent
    with db.session() as session:
        device = session.get(Device, "box-1")
        assert mosquitto_verify(device.mqtt_password_hash, creds["mqtt_password"])
        assert creds["upload_token"] not in device.upload_token_hash


def test_bad_ids_and_foreign_cameras_are_refused(app) -> None:
    db = app.state.services.db
    with pytest.raises(ProvisioningError, match="device_id"):
        create_device(db, "bad id!", "")
    create_device(db, "box-1")
    create_device(db, "box-2")
    add_camera(db, "box-1", "cam-1", "Подъезд")
    with pytest.raises(ProvisioningError, match="belongs to device 'box-1'"):
        add_camera(db, "box-2", "cam-1", "чужая")
    with pytest.raises(ProvisioningError, match="retention_days"):
        add_camera(db, "box-2", "cam-2", "x", retention_days=10)
    with pytest.raises(ProvisioningError, match="claim_code"):
        claim_device(db, "box-2", "WRONG-CODE")


def test_stale_will_is_ignored_and_fleet_page_shows_the_box(app) -> None:
    db = app.state.services.db
    create_device(db, "box-1", "Шахтёров 30 п.1")
    add_camera(db, "box-1", "cam-1", "Подъезд")
    now = utcnow()
    with db.session() as session:
        assert state.apply_status(session, "box-1", Status(state="online", session=7, firmware="fw-7"), now)
        assert not state.apply_status(session, "box-1", Status(state="offline", session=6, reason="will"), now)
        state.apply_telemetry(
            session,
            "box-1",
            Telemetry(
                disk_total=32_000_000_000,
                disk_free=8_000_000_000,
                backlog_segments=12,
                backlog_bytes=9_000_000,
                cameras={"cam-1": CameraTelemetry(state="recording", motion="watching")},
                last_error="cam-1: 403 not your camera",
            ),
            now,
        )
        operator = Operator(login="op", password_hash="x")
        session.add(operator)
        session.flush()
        token, _ = open_session(session, operator=operator, lifetime=timedelta(hours=1))
    with db.session() as session:
        assert session.get(Device, "box-1").state == "online"
    with TestClient(app) as client:
        page = client.get("/operator/fleet", headers={"Authorization": f"Bearer {token}"})
        assert page.status_code == 200, page.text
        html = page.text
        assert 'data-device="box-1" data-state="online"' in html
        camera = "Подъезд: идёт запись · движение: следит"
        for text in ("fw-7", "в сети", "75.0% занято", "12 сегм.", camera, "403 not your camera"):
            assert text in html, text
        assert "recording" not in html and "watching" not in html  # the console is Russian, not stored words
        listing = client.get("/api/v1/operator/devices", headers={"Authorization": f"Bearer {token}"}).json()
        assert listing[0]["backlog_segments"] == 12 and listing[0]["session"] == 7
        assert client.get("/operator/fleet", follow_redirects=False).status_code in (302, 303, 307)  # to login


def test_operator_outbox_shows_russian_labels(app) -> None:
    db = app.state.services.db
    with db.session() as session:
        codes.send_code(session, "sms", "+79001234567", "Код: 123456", "123456", purpose="recovery")
        operator = Operator(login="op2", password_hash="x")
        session.add(operator)
        session.flush()
        token, _ = open_session(session, operator=operator, lifetime=timedelta(hours=1))
    with TestClient(app) as client:
        html = client.get("/operator/notify/outbox", headers={"Authorization": f"Bearer {token}"}).text
    row = html[html.index("+79001234567") :]
    assert "восстановление пароля" in row and "в очереди" in row and "Код: ••••••" in row
    assert ">recovery<" not in row and ">queued<" not in row
