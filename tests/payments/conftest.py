"""A real portal under uvicorn speaking to our local YooKassa-format server (tests/fixtures/yookassa.py).

The portal's public_url is its own address, so return_url and the webhook both reach it; the cabinet's test
world (tests/cabinet/world.py) provides the subscribers; contract A gets a 300 ₽/month tariff.
"""

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from portal.app import create_app
from portal.billing import tariffs
from portal.config import PortalSettings
from tests.cabinet.world import PASSWORD, World, provision
from tests.fixtures.browser import save_screenshot, screenshot_path
from tests.fixtures.keys import TEST_SECRET_KEY
from tests.fixtures.ports import free_port, wait_until
from tests.fixtures.yookassa import FakeYooKassa

SHOP_ID, SECRET = "1001", "test_secret_key"


@dataclass
class PayPortal:
    app: FastAPI
    url: str
    world: World
    kassa: FakeYooKassa | None

    @property
    def db(self):
        return self.app.state.services.db

    @property
    def webhook(self) -> str:
        return f"{self.url}/api/v1/billing/webhooks/yookassa"

    def client(self, contract: str | None = None) -> httpx.Client:
        """An API client logged in with the contract's password (bearer token)."""
        headers = {}
        if contract:
            body = {"contract": contract, "password": PASSWORD}
            response = httpx.post(f"{self.url}/api/v1/auth/login", json=body, timeout=30)
            response.raise_for_status()
            headers["Authorization"] = f"Bearer {response.json()['token']}"
        return httpx.Client(base_url=self.url, timeout=30, headers=headers)


def start_pay_portal(data_dir: Path, kassa: FakeYooKassa | None, **overrides: object):
    port = free_port()
    # No periodic jobs unless a test asks: balances stay exact (accrual is billing core's, tested there).
    options: dict[str, object] = {
        "payments_job_seconds": 0,
        "retention_sweep_seconds": 0,
        "billing_interval_seconds": 0,
        "secret_key": TEST_SECRET_KEY,
    }
    if kassa is not None:
        options.update(yookassa_shop_id=SHOP_ID, yookassa_secret_key=SECRET, yookassa_api_url=kassa.api_url)
    options.update(overrides)
    settings = PortalSettings(
        data_dir=data_dir, public_url=f"http://127.0.0.1:{port}", trusted_proxies=["127.0.0.1/32"], **options
    )
    app = create_app(settings)
    world = provision(app.state.services.db)
    with app.state.services.db.session() as s:
        plan = tariffs.create(s, tariffs.TariffForm(name="Базовый", monthly_price="300", archive_days="7"))
        tariffs.assign(s, world.ids["a"], plan.id, date.today())
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, timeout=30, message="portal started")
    running = PayPortal(app, f"http://127.0.0.1:{port}", world, kassa)
    if kassa is not None:
        kassa.webhook_url = running.webhook
    return running, server, thread


@pytest.fixture
def kassa() -> Iterator[FakeYooKassa]:
    server = FakeYooKassa(shop_id=SHOP_ID, secret_key=SECRET).start()
    yield server
    server.stop()


@pytest.fixture
def pay_portal_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., PayPortal]]:
    """pay_portal_factory(kassa_or_None, **settings) -> a started portal; all stopped at teardown."""
    started: list[tuple[uvicorn.Server, threading.Thread]] = []

    def make(kassa: FakeYooKassa | None, **overrides: object) -> PayPortal:
        running, server, thread = start_pay_portal(tmp_path_factory.mktemp("pay-portal"), kassa, **overrides)
        started.append((server, thread))
        return running

    yield make
    for server, thread in started:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture
def pay_portal(pay_portal_factory, kassa: FakeYooKassa) -> PayPortal:
    """SQLite portal + fake YooKassa, webhooks delivered automatically."""
    return pay_portal_factory(kassa)


@pytest.fixture
def shot(request: pytest.FixtureRequest):
    """shot(page, "step") keeps a screenshot of each page a flow passes through (test-artifacts/screenshots)."""

    def take(page, step: str) -> None:
        target = screenshot_path(request.config.rootpath / "test-artifacts", f"payments_{request.node.name}_{step}")
        save_screenshot(page, target)

    return take
