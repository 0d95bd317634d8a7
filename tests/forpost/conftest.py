"""A real portal (SQLite in a temp dir, local object store) with two subscribers of one entrance, driven
over HTTP with form-encoded POSTs exactly as a Forpost app does."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from portal.app import create_app
from portal.auth.passwords import hash_password, token_hash
from portal.config import PortalSettings
from portal.models import Address, Camera, CameraPlacement, Contract, ContractEmail, Device, PlacementObject
from portal.models.forpost import ControlledDevice
from tests.fixtures.keys import TEST_SECRET_KEY

DEVICE_TOKEN = "device-upload-token-forpost-tests"


@dataclass
class World:
    client: TestClient
    settings: PortalSettings

    def call(self, name: str, **params: object) -> object:
        response = self.client.post(f"/api/{name}", data={k: str(v) for k, v in params.items()})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/json")
        return response.json()

    def login(self, login: str = "1001", password: str = "secret-1001") -> str:
        answer = self.call("Login", Login=login, Password=password)
        assert isinstance(answer, dict) and "SessionID" in answer, answer
        return answer["SessionID"]

    def number_of(self, sid: str, name: str) -> int:
        cameras = self.call("GetCameras", SessionID=sid, ActiveOnly=0)
        return next(c["CameraID"] for c in cameras if c["Name"] == name)

    @property
    def services(self):
        return self.client.app.state.services


def make_settings(tmp_path: Path, **overrides: object) -> PortalSettings:
    values: dict[str, object] = {
        "data_dir": tmp_path / "portal",
        "public_url": "http://testserver",
        "secret_key": TEST_SECRET_KEY,
        "forpost_translation_limit": 3,
        "forpost_translation_timeout": 30.0,
    }
    values.update(overrides)
    return PortalSettings(**values)


def seed(settings: PortalSettings, services) -> None:
    """Entrance 1 of Шахтёров 30 with a shared camera; subscriber 1001 there with a private camera in «Дача»;
    subscriber 1002 at another entrance with its own camera; 1003 disabled, 1004 blocked."""
    with services.db.session() as db:
        home = Address(city="Новокузнецк", street="Шахтёров", house="30", entrance=1)
        other = Address(city="Новокузнецк", street="Кирова", house="5", entrance=2)
        db.add_all([home, other])
        db.flush()
        c1 = Contract(number="1001", password_hash=hash_password("secret-1001"), address_id=home.id, name="Иванов")
        c2 = Contract(number="1002", password_hash=hash_password("secret-1002"), address_id=other.id)
        c3 = Contract(number="1003", password_hash=hash_password("secret-1003"), status="disabled")
        c4 = Contract(number="1004", password_hash=hash_password("secret-1004"), status="blocked")
        db.add_all([c1, c2, c3, c4])
        db.flush()
        db.add(ContractEmail(contract_id=c1.id, email="ivanov@example.ru"))
        db.add(Device(id="box-1", address_id=home.id, upload_token_hash=token_hash(DEVICE_TOKEN), state="online"))
        db.add(Device(id="box-2", address_id=other.id, upload_token_hash=token_hash(DEVICE_TOKEN + "-2")))
        db.flush()
        db.add_all(
            [
                Camera(id="entrance-1", device_id="box-1", name="Подъезд", address_id=home.id, retention_days=14),
                Camera(id="flat-1001", device_id="box-1", name="Дача-двор", owner_contract_id=c1.id),
                Camera(id="garage-1001", device_id="box-1", name="Гараж", owner_contract_id=c1.id, retention_days=30),
                Camera(id="off-1001", device_id="box-1", name="Выключена", owner_contract_id=c1.id, enabled=False),
                Camera(id="flat-1002", device_id="box-2", name="Чужая", owner_contract_id=c2.id),
            ]
        )
        db.flush()
        dacha = PlacementObject(name="Дача", contract_id=c1.id)
        house = PlacementObject(name="Домовые камеры", address_id=home.id)
        db.add_all([dacha, house])
        db.flush()
        db.add(CameraPlacement(camera_id="flat-1001", object_id=dacha.id))
        db.add(
            ControlledDevice(
                camera_id="entrance-1",
                name="Дверь подъезда",
                kind="door",
                command="relay.pulse",
                args_json='{"relay": "door", "seconds": 3}',
            )
        )
        db.add(
            ControlledDevice(
                camera_id="flat-1002", name="Питание камеры", kind="camera_power", command="camera.power_cycle"
            )
        )


@contextmanager
def seeded_world(tmp_path: Path, **overrides: object) -> Iterator[World]:
    settings = make_settings(tmp_path, **overrides)
    app = create_app(settings)
    with TestClient(app, client=("10.0.0.5", 50000)) as client:
        seed(settings, app.state.services)
        yield World(client, settings)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with seeded_world(tmp_path) as world:
        yield world
