"""The notification centre's tests: an in-process portal (SQLite) with the cabinet's test world."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest
from fastapi.testclient import TestClient

from portal.app import create_app
from portal.config import PortalSettings
from tests.cabinet.world import World, provision
from tests.fixtures.in_process import InProcessPortal
from tests.fixtures.keys import TEST_SECRET_KEY


@dataclass
class Centre(InProcessPortal):
    csrf_seed: ClassVar[str] = "notify-seed"

    @property
    def settings(self):
        return self.app.state.services.settings


def make_centre(tmp: Path, **settings) -> tuple[object, World]:
    # Quiet hours off unless a test wants them: tests must not depend on the hour they run at.
    options = {"notify_worker_seconds": 0, "notify_quiet_start": 0, "notify_quiet_end": 0} | settings
    app = create_app(PortalSettings(data_dir=tmp, secret_key=TEST_SECRET_KEY, **options))
    return app, provision(app.state.services.db)


@pytest.fixture
def centre(tmp_path: Path) -> Iterator[Centre]:
    app, world = make_centre(tmp_path)
    with TestClient(app) as client:
        yield Centre(app, client, world, tmp_path)
    app.state.services.db.dispose()
