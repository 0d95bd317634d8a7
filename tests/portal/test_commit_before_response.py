"""A write is committed before its response leaves: a client that uses a token the moment it gets it (or follows
the redirect after a login form) must find the session. Run against a real uvicorn server, where the response
really is on the wire before any after-response work."""

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import event

from portal.app import create_app
from portal.cabinet.contracts import create_address, create_contract
from portal.config import PortalSettings
from tests.fixtures.keys import TEST_SECRET_KEY
from tests.fixtures.served import served

PASSWORD = "Podyezd-30-pass"
ROUNDS = 5


@pytest.fixture
def portal_url(tmp_path: Path) -> Iterator[str]:
    app = create_app(
        PortalSettings(data_dir=tmp_path / "portal", retention_sweep_seconds=0, secret_key=TEST_SECRET_KEY)
    )
    with app.state.services.db.session() as db:
        entrance = create_address(db, "Новокузнецк", "Шахтёров", "30", 1)
        create_contract(db, "5500100", PASSWORD, address_id=entrance.id)
    # A slow disk (or a busy one: the box's uploads write to the same database) makes every commit take a while;
    # whatever runs after the response has left is then visibly late.
    event.listen(app.state.services.db.engine, "commit", lambda _conn: time.sleep(0.2))
    with served(app) as url:
        yield url


def test_a_fresh_token_works_at_once(portal_url: str) -> None:
    # Two connections, like a browser following a redirect on a fresh one: nothing orders the second request
    # after the first request's leftover work.
    with httpx.Client(base_url=portal_url, timeout=10) as first, httpx.Client(base_url=portal_url, timeout=10) as then:
        for _ in range(ROUNDS):
            answer = first.post("/api/v1/auth/login", json={"contract": "5500100", "password": PASSWORD})
            assert answer.status_code == 200, answer.text
            token = answer.json()["token"]
            listed = then.get("/api/v1/cameras", headers={"Authorization": f"Bearer {token}"})
            assert listed.status_code == 200, "the session was not committed when its token was handed out"
