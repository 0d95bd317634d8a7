"""The support desk's tests: an in-process portal (SQLite, local object store) with the cabinet's test world."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

import pytest
from fastapi.testclient import TestClient

from portal.app import create_app
from portal.config import PortalSettings
from tests.cabinet.world import provision
from tests.fixtures.in_process import InProcessPortal
from tests.fixtures.keys import TEST_SECRET_KEY

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PDF = b"%PDF-1.4\n%test\n"
MP4 = b"\x00\x00\x00\x18ftypisom" + b"\x00" * 32
HTML = b"<html><script>alert(1)</script></html>"


@dataclass
class Desk(InProcessPortal):
    csrf_seed: ClassVar[str] = "desk-seed"

    @property
    def storage(self):
        return self.app.state.services.storage

    def objects(self) -> list[str]:
        return list(self.storage.list("support/"))


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    data_dir = tmp_path_factory.mktemp("support")
    settings = PortalSettings(
        data_dir=data_dir, secret_key=TEST_SECRET_KEY, support_max_file_bytes=4096, support_requests_per_phone=3
    )
    app = create_app(settings)
    world = provision(app.state.services.db)
    with TestClient(app) as client:
        yield Desk(app, client, world, data_dir)


def form(**overrides) -> dict:
    base = {
        "name": "Иван Петрович",
        "phone": "+7 905 123-45-67",
        "topic": "camera_offline",
        "address": "г.Новокузнецк, ул.Шахтёров 30",
        "camera_provider": "ours",
        "cameras_online": "no",
        "mounting_height": "mid",
        "camera_supplier": "ours",
        "text": "Камера у входа не показывает изображение с утра.",
    }
    return base | overrides
