"""Scale-out test stack: PostgreSQL, SeaweedFS S3, Mosquitto tuned as docs/scale.md says, simulated boxes
enrolled through `dozor.sim.provision`, and any number of portal processes (`dozor portal serve`)."""

from __future__ import annotations

import os
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from dozor.sim.provision import SimBoxCredentials, provision
from portal import migrate
from portal.db import Database
from portal.fleet.broker_config import write_broker_files
from tests.fixtures.keys import TEST_SECRET_KEY
from tests.fixtures.mosquitto import Mosquitto
from tests.fixtures.ports import free_port, wait_until
from tests.fixtures.process import ServerProcess, start_with_retries

BIN = Path(sys.executable).parent
PORTAL_USER = "portal"
# What docs/scale.md asks of the broker: room for a long outage and a window wide enough for batched acks.
BROKER_TUNING = ("max_queued_messages 200000", "max_inflight_messages 1000", "max_keepalive 120")


@dataclass
class PortalProcess:
    port: int
    process: ServerProcess

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class ScaleStack:
    root: Path
    db: Database
    storage_url: str
    broker: Mosquitto
    portal_password: str
    boxes: list[SimBoxCredentials]
    portals: list[PortalProcess] = field(default_factory=list)

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {
            **os.environ,
            "DOZOR_DATA_DIR": str(self.root / "portal"),
            "DOZOR_SECRET_KEY": TEST_SECRET_KEY,
            "DOZOR_DATABASE_URL": self.db.url,
            "DOZOR_STORAGE_URL": self.storage_url,
            "DOZOR_MQTT_URL": f"mqtt://{PORTAL_USER}:{self.portal_password}@127.0.0.1:{self.broker.port}",
            "DOZOR_RETENTION_SWEEP_SECONDS": "0",
            "DOZOR_BILLING_INTERVAL_SECONDS": "0",
            "DOZOR_PAYMENTS_JOB_SECONDS": "0",
            "DOZOR_ACCESS_LOG": "0",  # docs/scale.md: a log line per upload is CPU the fleet needs
            **(extra or {}),
        }

    def start_portal(self, workers: int = 1, port: int | None = None, extra: dict[str, str] | None = None):
        port = port or free_port()
        process = ServerProcess(f"portal :{port}", self.root / f"portal-{port}.log")
        argv = [str(BIN / "dozor"), "portal", "serve", "--port", str(port), "--workers", str(workers)]
        process.spawn(argv, env=self.env(extra))
        portal = PortalProcess(port, process)
        wait_until(lambda: _healthy(portal.url), 90, message=f"portal :{port} /healthz")
        self.portals.append(portal)
        return portal

    def stop(self) -> None:
        for portal in self.portals:
            portal.process.stop(timeout=20)
        self.broker.stop()
        self.db.dispose()


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def make_stack(root: Path, db_url: str, storage_url: str, boxes: int, cameras: int) -> ScaleStack:
    (root / "portal").mkdir(parents=True, exist_ok=True)
    db = Database(db_url)
    migrate.upgrade(db)
    creds = provision(db, boxes, cameras)
    portal_password = secrets.token_urlsafe(16)
    with db.session() as session:
        passwd, acl = write_broker_files(session, root / "broker", PORTAL_USER, portal_password)
    broker = start_with_retries(
        lambda: Mosquitto(
            root / "broker", password_file=passwd, acl_file=acl, allow_anonymous=False, extra_config=BROKER_TUNING
        ).start()
    )
    return ScaleStack(root, db, storage_url, broker, portal_password, creds)
