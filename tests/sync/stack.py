"""The real parts for end-to-end sync tests: a portal database provisioned with boxes, Mosquitto configured from
it (password file + ACL written by `portal.fleet.broker_config`), the portal under uvicorn, and boxes running
`dozor edge run` with synthetic (lavfi) cameras, each in its own process."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml

from portal import migrate
from portal.db import Database
from portal.fleet.broker_config import write_broker_files
from portal.fleet.provisioning import DeviceCredentials, add_camera, claim_device, create_device
from tests.fixtures.keys import TEST_SECRET_KEY
from tests.fixtures.mosquitto import Mosquitto
from tests.fixtures.ports import free_port, wait_until
from tests.fixtures.process import ServerProcess, start_with_retries

BIN = Path(sys.executable).parent
PORTAL_USER = "portal"


@dataclass
class Stack:
    root: Path
    db: Database
    broker: Mosquitto
    portal_password: str
    creds: dict[str, DeviceCredentials] = field(default_factory=dict)
    portal_port: int = 0
    portal: ServerProcess | None = None

    @property
    def portal_url(self) -> str:
        return f"http://127.0.0.1:{self.portal_port}"

    def portal_env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DOZOR_DATA_DIR": str(self.root / "portal"),
            "DOZOR_SECRET_KEY": TEST_SECRET_KEY,
            "DOZOR_MQTT_URL": f"mqtt://{PORTAL_USER}:{self.portal_password}@127.0.0.1:{self.broker.port}",
            "DOZOR_PUBLIC_URL": self.portal_url,
        }

    def start_portal(self) -> None:
        if not self.portal_port:
            self.portal_port = free_port()
        self.portal = self.portal or ServerProcess("portal", self.root / "portal.log")
        self.portal.spawn(
            [str(BIN / "dozor"), "portal", "serve", "--host", "127.0.0.1", "--port", str(self.portal_port)],
            env=self.portal_env(),
        )
        wait_until(
            lambda: httpx.get(f"{self.portal_url}/healthz", timeout=2).status_code == 200, 60, message="portal /healthz"
        )

    def stop_portal(self) -> None:
        if self.portal is not None:
            self.portal.stop()

    def stop(self) -> None:
        self.stop_portal()
        self.broker.stop()
        self.db.dispose()


def make_stack(root: Path, boxes: dict[str, list[str]]) -> Stack:
    """Provision `boxes` ({device_id: [camera ids]}), write the broker's files, start broker (not the portal)."""
    (root / "portal").mkdir(parents=True, exist_ok=True)
    db = Database(f"sqlite:///{root / 'portal' / 'portal.sqlite3'}")
    migrate.upgrade(db)
    creds: dict[str, DeviceCredentials] = {}
    for device_id, cameras in boxes.items():
        code = create_device(db, device_id, f"box {device_id}")
        creds[device_id] = claim_device(db, device_id, code)
        for camera_id in cameras:
            add_camera(db, device_id, camera_id, f"camera {camera_id}")
    portal_password = secrets.token_urlsafe(16)
    with db.session() as session:
        passwd, acl = write_broker_files(session, root / "broker", PORTAL_USER, portal_password)
    broker = start_with_retries(
        lambda: Mosquitto(root / "broker", password_file=passwd, acl_file=acl, allow_anonymous=False).start()
    )
    return Stack(root, db, broker, portal_password, creds)


class BoxProcess:
    """`dozor edge run` for one box, with tiny synthetic cameras (160x90, 5 fps, 1 s segments)."""

    def __init__(
        self,
        root: Path,
        stack: Stack,
        device_id: str,
        cameras: list[str],
        portal_url: str | None = None,
        bandwidth_kbps: int = 0,
        concurrency: int = 2,
        extra: dict | None = None,
    ) -> None:
        """`extra`: more top-level config (gpio, technician, reboot_command...)."""
        self.device_id = device_id
        self.dir = root / f"box-{device_id}"
        self.data_dir = self.dir / "data"
        self.config_path = self.dir / "box.yaml"
        self.log_path = self.dir / "box.log"
        creds = stack.creds[device_id]
        config = {
            "device_id": device_id,
            "data_dir": str(self.data_dir),
            "cameras": [
                {"id": c, "url": "lavfi:testsrc2", "width": 160, "height": 90, "fps": 5, "segment_seconds": 1}
                for c in cameras
            ],
            "portal": {
                "url": portal_url or stack.portal_url,
                "upload_token": creds.upload_token,
                "mqtt_host": "127.0.0.1",
                "mqtt_port": stack.broker.port,
                "mqtt_password": creds.mqtt_password,
                "upload_concurrency": concurrency,
                "bandwidth_kbps": bandwidth_kbps,
            },
            **(extra or {}),
        }
        self.config = config
        self.dir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(yaml.safe_dump(config))
        self.process = ServerProcess(f"box {device_id}", self.log_path)

    def set_bandwidth(self, kbps: int) -> None:
        """Takes effect at the next start."""
        self.config["portal"]["bandwidth_kbps"] = kbps
        self.config_path.write_text(yaml.safe_dump(self.config))

    def start(self) -> BoxProcess:
        env = {**os.environ, "DOZOR_EDGE_TELEMETRY_SECONDS": "1", "DOZOR_HW_MOCK": "1"}  # gpiozero MockFactory
        self.process.spawn([str(BIN / "dozor"), "edge", "run", "--config", str(self.config_path)], env=env)
        return self

    def stop(self) -> None:
        self.process.stop(timeout=20)

    def kill(self) -> None:
        """Like a power cut: SIGKILL to the box and its ffmpeg children (its own process group)."""
        proc = self.process.proc
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
        self.process.proc = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
