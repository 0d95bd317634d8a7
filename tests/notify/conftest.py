"""The notification centre's tests: an in-process portal (SQLite) with the cabinet's test world."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from portal.app import create_app
from portal.auth.sessions import open_session
from portal.config import PortalSettings
from portal.models import Contract, Operator
from tests.cabinet.world import World, provision
from tests.fixtures.keys import TEST_SECRET_KEY


@dataclass
class Centre:
    app: object
    client: TestClient
    world: World
    data_dir: Path

    @property
    def db(self):
        return self.app.state.services.db

    @property
    def settings(self):
        return self.app.state.services.settings

    def token(self, who: str) -> str:
        with self.db.session() as s:
            if who == "op":
                op = s.query(Operator).filter_by(login=self.world.operator).one()
                return open_session(s, operator=op, lifetime=timedelta(hours=1))[0]
            return open_session(s, contract=s.get(Contract, self.world.ids[who]), lifetime=timedelta(hours=1))[0]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(who)}"}

    def browser(self, who: str | None) -> tuple[TestClient, str]:
        from portal.web.csrf import CSRF_COOKIE, _sign

        class _Req:
            app = self.app

        cookies = {CSRF_COOKIE: "notify-seed"} | ({"dozor_session": self.token(who)} if who else {})
        return TestClient(self.app, cookies=cookies, follow_redirects=False), _sign(_Req, "notify-seed")


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
