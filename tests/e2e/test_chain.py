"""The whole chain on real parts: GStreamer RTSP camera -> `dozor edge run` (own process) -> Mosquitto (password
file + per-device ACL from the portal's device table) + portal on PostgreSQL + SeaweedFS -> subscriber login over
HTTP -> a 30 s clip that PyAV decodes, within one keyframe interval of 30 s."""

import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import yaml

from portal import migrate
from portal.cabinet.contracts import create_address, create_contract
from portal.db import Database
from portal.fleet.broker_config import write_broker_files
from portal.fleet.provisioning import add_camera, claim_device, create_device
from tests.e2e.clips import download, inspect_clip, wait_for_recording
from tests.fixtures.keys import TEST_SECRET_KEY
from tests.fixtures.mosquitto import Mosquitto
from tests.fixtures.ports import free_port, wait_until
from tests.fixtures.process import ServerProcess, start_with_retries

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
CLIP_SECONDS = 30
FPS, GOP = 10, 10  # keyframe every second
PASSWORD = "Podyezd-30-pass"


def provision(db: Database) -> tuple[str, object]:
    with db.session() as session:
        entrance = create_address(session, "Новокузнецк", "Шахтёров", "30", 1)
        other = create_address(session, "Новокузнецк", "Шахтёров", "30", 6)
        create_contract(session, "5500100", PASSWORD, address_id=entrance.id)
        create_contract(session, "5500200", PASSWORD, address_id=other.id)
        code = create_device(session, "box-sh30-1", "Шахтёров 30 п.1", address_id=entrance.id)
        add_camera(session, "box-sh30-1", "sh30-p1-door", "Шахтёров 30 п.1", retention_days=14)
        credentials = claim_device(session, "box-sh30-1", code)
    return "sh30-p1-door", credentials


def login(base: str, contract: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    answer = client.post("/api/v1/auth/login", json={"contract": contract, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    client.headers["Authorization"] = f"Bearer {answer.json()['token']}"
    return client


def test_rtsp_camera_to_subscriber_download_on_real_parts(rtsp_camera, pg_url, s3, tmp_path: Path) -> None:
    camera = rtsp_camera(["door"], fps=FPS, gop=GOP, user="admin", password="cam-secret")
    db = Database(pg_url)
    migrate.upgrade(db)
    camera_id, creds = provision(db)
    portal_password = secrets.token_urlsafe(16)
    with db.session() as session:
        passwd, acl = write_broker_files(session, tmp_path / "broker", "portal", portal_password)
    db.dispose()
    broker = start_with_retries(
        lambda: Mosquitto(tmp_path / "broker", password_file=passwd, acl_file=acl, allow_anonymous=False).start()
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    portal = ServerProcess("portal", tmp_path / "portal.log")
    box = ServerProcess("box", tmp_path / "box.log")
    try:
        portal.spawn(
            [str(BIN / "dozor"), "portal", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env={
                **os.environ,
                "DOZOR_DATA_DIR": str(tmp_path / "portal"),
                "DOZOR_SECRET_KEY": TEST_SECRET_KEY,
                "DOZOR_DATABASE_URL": pg_url,
                "DOZOR_STORAGE_URL": s3.storage_url(s3.new_bucket()),
                "DOZOR_MQTT_URL": f"mqtt://portal:{portal_password}@127.0.0.1:{broker.port}",
                "DOZOR_PUBLIC_URL": base,
            },
        )
        wait_until(lambda: httpx.get(f"{base}/healthz", timeout=2).status_code == 200, 90, message="portal up")
        config = {
            "device_id": creds.device_id,
            "data_dir": str(tmp_path / "box"),
            "cameras": [{"id": camera_id, "url": camera.url("door", user="admin", password="cam-secret")}],
            "portal": {
                "url": base,
                "upload_token": creds.upload_token,
                "mqtt_host": "127.0.0.1",
                "mqtt_port": broker.port,
                "mqtt_password": creds.mqtt_password,
            },
        }
        (tmp_path / "box.yaml").write_text(yaml.safe_dump(config))
        box.spawn([str(BIN / "dozor"), "edge", "run", "--config", str(tmp_path / "box.yaml")])

        subscriber = login(base, "5500100")
        listed = subscriber.get("/api/v1/cameras").json()
        assert [c["id"] for c in listed] == [camera_id]
        assert "Шахтёров 30" in listed[0]["address"]
        start, _ = wait_for_recording(subscriber, camera_id, CLIP_SECONDS + 8, timeout=300)
        clip = tmp_path / "clip.mp4"
        download(subscriber, camera_id, start + timedelta(seconds=2), CLIP_SECONDS, clip)
        facts = inspect_clip(clip)
        assert abs(facts.seconds - CLIP_SECONDS) <= GOP / FPS, facts
        assert (facts.width, facts.height) == (320, 240)
        assert "cam-secret" not in (tmp_path / "box.log").read_text(errors="replace")

        # A subscriber of another entrance neither lists nor downloads this camera.
        stranger = login(base, "5500200")
        assert stranger.get("/api/v1/cameras").json() == []
        params = {"start": (start + timedelta(seconds=2)).isoformat(), "duration": "10"}
        assert stranger.get(f"/api/v1/cameras/{camera_id}/download", params=params).status_code in (403, 404)
    finally:
        box.stop(timeout=20)
        portal.stop(timeout=20)
        broker.stop()
