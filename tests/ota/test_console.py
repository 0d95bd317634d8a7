"""Operator console for OTA: upload a signed bundle through the form (a bad one refused with the reason), start a
rollout, follow its boxes, resume it once paused; subscribers and strangers are kept out."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cloud_sync.ota_bundle import build_bundle, generate_keypair, load_private_key
from portal.app import create_app
from portal.auth.passwords import hash_password
from portal.cabinet.operators import create_operator
from portal.config import PortalSettings
from portal.fleet.provisioning import create_device
from portal.models import Contract
from portal.models.ota import OtaRollout, OtaTarget
from tests.fixtures.keys import TEST_SECRET_KEY

OPERATOR, PASSWORD = "ota-console", "Operator-pass-2026"


def _wheel(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / "dozor-2.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("dozor-2.0.dist-info/METADATA", "Name: dozor\nVersion: 2.0\n")
    return wheel


@pytest.fixture
def console(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, Path]]]:
    key, pub = generate_keypair(tmp_path / "keys")
    _, stranger_pub = generate_keypair(tmp_path / "stranger")
    wheel = _wheel(tmp_path / "wheel")
    files = {
        "good": build_bundle(tmp_path / "dozor-2.0.tar", "2.0", load_private_key(key), [wheel]),
        "stranger": build_bundle(
            tmp_path / "dozor-2.1.tar", "2.1", load_private_key(tmp_path / "stranger" / key.name), [wheel]
        ),
    }
    del stranger_pub
    settings = PortalSettings(
        data_dir=tmp_path / "portal", secret_key=TEST_SECRET_KEY, ota_keys=str(pub), ota_rollout_seconds=3600
    )
    app = create_app(settings)
    with app.state.services.db.session() as db:
        create_operator(db, OPERATOR, PASSWORD)
        for box in ("box1", "box2", "box3"):
            create_device(db, box, "Шахтёров 30 п.1")
        db.add(Contract(number="5001", password_hash=hash_password("secret-5001"), name="Абонент"))
    with TestClient(app, follow_redirects=False) as client:
        yield client, files


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:300]
    return found.group(1)


def _login(client: TestClient) -> None:
    page = client.get("/operator/login")
    form = {"csrf": _csrf(page.text), "login": OPERATOR, "password": PASSWORD, "next": "/operator/ota"}
    assert client.post("/operator/login", data=form).status_code == 303


def _upload(client: TestClient, path: Path):
    token = _csrf(client.get("/operator/ota").text)
    with path.open("rb") as handle:
        return client.post(
            "/operator/ota/bundles", data={"csrf": token}, files={"bundle": (path.name, handle, "application/x-tar")}
        )


def test_upload_rollout_follow_and_resume(console) -> None:
    client, files = console
    _login(client)
    assert "Обновления" in client.get("/operator/fleet").text  # the console's nav has the page

    refused = _upload(client, files["stranger"])
    assert refused.status_code == 422 and 'id="error"' in refused.text and "bundle:" in refused.text
    assert 'data-version="2.1"' not in refused.text  # nothing stored

    done = _upload(client, files["good"])
    assert done.status_code == 303 and done.headers["location"].startswith("/operator/ota?uploaded=2.0")
    page = client.get("/operator/ota")
    assert 'data-version="2.0"' in page.text and 'id="rollout"' in page.text
    sha = re.search(r'<option value="([0-9a-f]{64})"', page.text).group(1)

    token = _csrf(page.text)
    bad = client.post("/operator/ota/rollouts", data={"csrf": token, "sha256": sha, "waves": "0"})
    assert bad.status_code == 422 and "waves:" in bad.text
    unknown = client.post("/operator/ota/rollouts", data={"csrf": token, "sha256": sha, "devices": "box9"})
    assert unknown.status_code == 422 and "devices: no device &#39;box9&#39;" in unknown.text

    started = client.post(
        "/operator/ota/rollouts", data={"csrf": token, "sha256": sha, "devices": "box1 box2", "waves": "2"}
    )
    assert started.status_code == 303
    detail = client.get(started.headers["location"])
    assert detail.status_code == 200
    assert 'data-device="box1"' in detail.text and 'data-device="box2"' in detail.text
    assert 'data-device="box3"' not in detail.text

    services = client.app.state.services  # type: ignore[attr-defined]
    with services.db.session() as db:
        rollout = db.query(OtaRollout).one()
        rollout.state, rollout.paused_reason = "paused", "1 of 1 boxes failed (over 20%)"
        db.query(OtaTarget).filter(OtaTarget.device_id == "box1").update({"state": "rolled_back"})
        rollout_id = rollout.id
    paused = client.get(f"/operator/ota/rollouts/{rollout_id}")
    assert 'id="paused"' in paused.text and "откат" in paused.text
    resumed = client.post(f"/operator/ota/rollouts/{rollout_id}/resume", data={"csrf": _csrf(paused.text)})
    assert resumed.status_code == 303
    with services.db.session() as db:
        assert db.get(OtaRollout, rollout_id).state in ("running", "done")
    again = client.post(f"/operator/ota/rollouts/{rollout_id}/resume", data={"csrf": _csrf(paused.text)})
    assert again.status_code == 409 and "not paused" in again.text
    assert client.get("/operator/ota/rollouts/999").status_code == 404


def test_only_operators_reach_the_page(console) -> None:
    client, _files = console
    assert client.get("/operator/ota", follow_redirects=False).status_code in (302, 303)
    no_form = client.post("/operator/ota/bundles", files={"bundle": ("x.tar", b"x", "application/x-tar")})
    assert no_form.status_code in (302, 303, 401, 403)
    login = client.get("/login")
    form = {"csrf": _csrf(login.text), "contract": "5001", "password": "secret-5001"}
    assert client.post("/login", data=form).status_code == 303  # a subscriber, logged in
    assert client.get("/operator/ota", follow_redirects=False).status_code in (302, 303, 403)
    with client.app.state.services.db.session() as db:  # type: ignore[attr-defined]
        assert db.query(OtaRollout).count() == 0
