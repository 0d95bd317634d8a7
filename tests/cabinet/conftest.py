"""A real portal under uvicorn on a free 127.0.0.1 port, with the cabinet's test world provisioned."""

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

from portal.app import create_app
from portal.config import PortalSettings
from tests.cabinet.world import World, provision
from tests.fixtures.browser import save_screenshot, screenshot_path
from tests.fixtures.keys import TEST_SECRET_KEY
from tests.fixtures.ports import free_port, wait_until


@dataclass
class Portal:
    app: FastAPI
    url: str
    world: World

    @property
    def db(self):
        return self.app.state.services.db


def start_portal(data_dir: Path, **overrides: object) -> tuple[Portal, uvicorn.Server, threading.Thread]:
    # 127.0.0.1 is the trusted proxy, so a browser context can "come from" a bound ISP address via XFF.
    settings = PortalSettings(
        data_dir=data_dir, trusted_proxies=["127.0.0.1/32"], secret_key=TEST_SECRET_KEY, **overrides
    )
    app = create_app(settings)
    world = provision(app.state.services.db)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, timeout=30, message="portal started")
    return Portal(app, f"http://127.0.0.1:{port}", world), server, thread


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    running, server, thread = start_portal(tmp_path_factory.mktemp("portal"))
    yield running
    server.should_exit = True
    thread.join(timeout=15)


@pytest.fixture
def shot(request: pytest.FixtureRequest):
    """shot(page, "step") keeps a screenshot of each page a flow passes through."""

    def take(page, step: str) -> None:
        target = screenshot_path(request.config.rootpath / "test-artifacts", f"cabinet_{request.node.name}_{step}")
        save_screenshot(page, target)

    return take
