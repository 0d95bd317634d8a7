"""End to end on real parts: the portal offers a bundle to a running box over Mosquitto; the box downloads it
from the portal (ranged GETs, object store on SeaweedFS), installs, restarts into it, passes the gate and says
so; the fleet API shows the new version. A crashing release is rolled back and pauses its rollout."""

from __future__ import annotations

import os
import secrets
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import yaml

from portal import migrate
from portal.auth.sessions import open_session
from portal.cabinet.operators import create_operator
from portal.db import Database
from portal.fleet.broker_config import write_broker_files
from portal.fleet.provisioning import add_camera, claim_device, create_device
from tests.fixtures.keys import TEST_SECRET_KEY
from tests.fixtures.mosquitto import Mosquitto
from tests.fixtures.ports import free_port, wait_until
from tests.fixtures.process import ServerProcess, start_with_retries
from tests.ota.conftest import Kit
from tests.ota.helpers import Box, box_config, recording, status, wait_for

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


def _provision(db: Database) -> tuple[object, str]:
    with db.session() as s:
        code = create_device(s, "box1", "Шахтёров 30 п.1")
        add_camera(s, "box1", "cam1", "Шахтёров 30 п.1")
        creds = claim_device(s, "box1", code)
        operator = create_operator(s, "ota-op", "Operator-pass-2026")
        token = open_session(s, operator=operator, lifetime=timedelta(hours=2))[0]
    return creds, token


def _rollout_state(api: httpx.Client, rollout_id: int, want: set[str]) -> dict | None:
    answer = api.get(f"/api/v1/operator/ota/rollouts/{rollout_id}").json()
    return answer if answer["targets"][0]["state"] in want else None


def test_portal_offers_bundle_box_installs_and_reports(kit: Kit, box_dir: Path, pg_url, s3) -> None:
    db = Database(pg_url)
    migrate.upgrade(db)
    creds, token = _provision(db)
    portal_password = secrets.token_urlsafe(16)
    with db.session() as s:
        passwd, acl = write_broker_files(s, box_dir / "broker", "portal", portal_password)
    db.dispose()
    broker = start_with_retries(
        lambda: Mosquitto(box_dir / "broker", password_file=passwd, acl_file=acl, allow_anonymous=False).start()
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    portal = ServerProcess("portal", box_dir / "portal.log")
    config = box_config(box_dir, kit.pub, gate_seconds=45)
    data = yaml.safe_load(config.read_text())
    data["portal"] = {
        "url": base,
        "upload_token": creds.upload_token,  # type: ignore[attr-defined]
        "mqtt_host": "127.0.0.1",
        "mqtt_port": broker.port,
        "mqtt_password": creds.mqtt_password,  # type: ignore[attr-defined]
        "bandwidth_kbps": 40000,
    }
    config.write_text(yaml.safe_dump(data))
    box = Box(config)
    try:
        portal.spawn(
            [str(BIN / "dozor"), "portal", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env={
                **os.environ,
                "DOZOR_DATA_DIR": str(box_dir / "portal"),
                "DOZOR_SECRET_KEY": TEST_SECRET_KEY,
                "DOZOR_DATABASE_URL": pg_url,
                "DOZOR_STORAGE_URL": s3.storage_url(s3.new_bucket()),
                "DOZOR_MQTT_URL": f"mqtt://portal:{portal_password}@127.0.0.1:{broker.port}",
                "DOZOR_PUBLIC_URL": base,
                "DOZOR_OTA_KEYS": str(kit.pub),
                "DOZOR_OTA_ROLLOUT_SECONDS": "1",
            },
        )
        wait_until(lambda: httpx.get(f"{base}/healthz", timeout=2).status_code == 200, 90, message="portal up")
        api = httpx.Client(base_url=base, timeout=60, headers={"Authorization": f"Bearer {token}"})
        box.start()
        t0 = time.time()
        wait_for("release 1.0 recording", lambda: recording(box, "1.0", t0), box=box)

        def firmware() -> str:
            return {d["device_id"]: d for d in api.get("/api/v1/operator/devices").json()}["box1"]["firmware"]

        wait_for("the box online at 1.0", lambda: firmware() == "dozor-edge/1.0", box=box)

        refused = api.post("/api/v1/operator/ota/bundles", content=kit.bad["bad_signature"].read_bytes())
        assert refused.status_code == 400 and "does not trust" in refused.json()["detail"]
        uploaded = api.post("/api/v1/operator/ota/bundles", content=kit.v2.read_bytes())
        assert uploaded.status_code == 201, uploaded.text
        made = api.post(
            "/api/v1/operator/ota/rollouts", json={"sha256": uploaded.json()["sha256"], "devices": ["box1"]}
        )
        assert made.status_code == 201, made.text
        final = wait_for(
            "the box reporting 2.0 healthy",
            lambda: _rollout_state(api, made.json()["id"], {"healthy", "rolled_back", "refused", "failed"}),
            timeout=240,
            box=box,
        )
        assert final["targets"][0]["state"] == "healthy", final
        rollout_id = made.json()["id"]
        wait_for(
            "the rollout done", lambda: api.get(f"/api/v1/operator/ota/rollouts/{rollout_id}").json()["state"] == "done"
        )
        assert status(config)["current"] == "2.0"
        wait_for("the fleet API showing 2.0", lambda: firmware() == "dozor-edge/2.0", box=box)
        page = api.get("/operator/fleet")
        assert page.status_code == 200 and "dozor-edge/2.0" in page.text

        # A release that crashes at start: rolled back by the box, the reason on the portal, the rollout paused.
        crash = api.post("/api/v1/operator/ota/bundles", content=kit.bad["crashes_at_start"].read_bytes())
        assert crash.status_code == 201, crash.text
        body = {"sha256": crash.json()["sha256"], "devices": ["box1"], "threshold_percent": 0}
        second = api.post("/api/v1/operator/ota/rollouts", json=body).json()
        failed = wait_for(
            "the rollback reported",
            lambda: _rollout_state(api, second["id"], {"rolled_back", "healthy", "refused", "failed"}),
            timeout=240,
            box=box,
        )
        target = failed["targets"][0]
        assert target["state"] == "rolled_back" and "exited with code" in target["reason"], failed
        paused = wait_for(
            "the rollout paused",
            lambda: (r := api.get(f"/api/v1/operator/ota/rollouts/{second['id']}").json())["state"] == "paused" and r,
            box=box,
        )
        assert "exited with code" in paused["paused_reason"]
        page = api.get("/operator/fleet").text
        assert "обновление 2.2: rolled_back" in page and "exited with code" in page

        # A release that starts but never records: the gate times out, the reason reaches the portal.
        silent = api.post("/api/v1/operator/ota/bundles", content=kit.bad["never_records"].read_bytes())
        assert silent.status_code == 201, silent.text
        third = api.post("/api/v1/operator/ota/rollouts", json={"sha256": silent.json()["sha256"], "devices": ["box1"]})
        verdict = wait_for(
            "the silent release rolled back",
            lambda: _rollout_state(api, third.json()["id"], {"rolled_back", "healthy", "refused", "failed"}),
            timeout=240,
            box=box,
        )
        assert verdict["targets"][0]["state"] == "rolled_back", verdict
        assert "camera cam1 has not committed a segment" in verdict["targets"][0]["reason"]
        t3 = time.time()
        wait_for("release 2.0 recording again", lambda: recording(box, "2.0", t3), box=box)
        assert status(config)["current"] == "2.0"
    finally:
        box.stop()
        portal.stop(timeout=20)
        broker.stop()
