"""`make run`'s demo has the support desk filled in: a topic tree, one answered ticket, one city's contacts."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dozor.demo_provision import provision
from portal.app import create_app
from portal.config import PortalSettings
from tests.fixtures.keys import TEST_SECRET_KEY


@pytest.mark.slow
def test_demo_provision_seeds_the_support_desk(tmp_path: Path) -> None:
    secrets = provision(tmp_path, tmp_path / "demo.json", (("demo-cam-1", "Вход"),))
    app = create_app(PortalSettings(data_dir=tmp_path, secret_key=TEST_SECRET_KEY))
    with TestClient(app) as client:
        token = client.post(
            "/api/v1/auth/login", json={"contract": secrets["contract"], "password": secrets["password"]}
        ).json()
        headers = {"Authorization": f"Bearer {token['token']}"}
        [ticket] = client.get("/api/v1/support/tickets", headers=headers).json()["tickets"]
        detail = client.get(f"/api/v1/support/tickets/{ticket['id']}", headers=headers).json()
        assert detail["status"] == "waiting"
        assert [m["author"] for m in detail["messages"]] == ["subscriber", "staff"]
        sections = client.get("/api/v1/support/bot").json()["sections"]
        assert sections[0]["title"] == "Технический вопрос" and sections[0]["children"]
        [city] = client.get("/api/v1/contacts").json()["cities"]
        assert city["city"] == "Новокузнецк" and city["phones"][0]["value"] == "8-384-375-60-00"
