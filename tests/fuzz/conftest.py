"""One in-process portal on SQLite with the cabinet's test world, shared by the fuzz suites (fast: no server).

Requests go through Starlette's TestClient straight into the ASGI app; ``raise_server_exceptions=False`` so
an unhandled exception shows as the HTTP 500 a client would see (and the suites count it as a finding).
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from portal.app import create_app
from portal.auth.sessions import open_session
from portal.config import PortalSettings
from portal.models import Contract, Operator
from tests.cabinet.world import PASSWORD, World, provision
from tests.fixtures.keys import TEST_SECRET_KEY


@dataclass
class FuzzPortal:
    app: FastAPI
    world: World
    client: TestClient

    def json_login(self) -> str:
        """A bearer token from the JSON login, as the apps get one."""
        answer = self.client.post("/api/v1/auth/login", json={"contract": self.world.contract_a, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        return answer.json()["token"]

    def operator_token(self) -> str:
        """Operators have no JSON login (the console is cookie-based): a session opened the same way it does."""
        with self.app.state.services.db.session() as s:
            operator = s.query(Operator).filter_by(login=self.world.operator).one()
            return open_session(s, operator=operator, lifetime=timedelta(hours=1))[0]

    def session_token(self, who: str) -> str:
        """A fresh token per case: a fuzzed logout or revoke must not end the later cases. Subscriber tokens
        are opened like the JSON login opens them (no argon2 per case, and the fuzzed wrong-password logins
        may have locked the contract's password login by then)."""
        if who == "operator":
            return self.operator_token()
        with self.app.state.services.db.session() as s:
            contract = s.get(Contract, self.world.ids["a"])
            contract.status = "active"  # a fuzzed operator call may have disabled A
            return open_session(s, contract=contract, lifetime=timedelta(hours=1))[0]


def build(data_dir: Path) -> FuzzPortal:
    # box_mqtt_url: the claim call can answer (it only hands the address out); no broker runs here.
    settings = PortalSettings(data_dir=data_dir, secret_key=TEST_SECRET_KEY, box_mqtt_url="mqtt://127.0.0.1:1883")
    app = create_app(settings)
    world = provision(app.state.services.db)
    return FuzzPortal(app, world, TestClient(app, raise_server_exceptions=False))


@pytest.fixture(scope="session")
def fuzz_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzPortal]:
    portal = build(tmp_path_factory.mktemp("fuzz-portal"))
    with portal.client:
        yield portal
