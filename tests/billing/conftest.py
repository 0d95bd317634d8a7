"""Billing test world: the archive tests' portal (SQLite, local store) plus a second subscriber at Alice's
entrance, two tariffs (7 and 30 days), both subscribers on them, and Forpost passwords."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from portal.auth.passwords import hash_password
from portal.auth.sessions import open_session
from portal.billing import ledger, retention, tariffs
from portal.config import PortalSettings
from portal.models import Contract, Tariff
from tests.fixtures.keys import TEST_SECRET_KEY
from tests.fixtures.run_wide import run_wide_dir
from tests.portal_archive.conftest import World, make_world
from tests.portal_archive.media import Media, encode

PASSWORD = "secret-pass-1"


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> Media:
    return encode(run_wide_dir(tmp_path_factory, "archive-media", encode))


@dataclass
class Neighbours:
    w: World
    alice_id: int  # tariff «Эконом», 7 days
    carol_id: int  # tariff «Максимум», 30 days, same entrance
    carol: str  # session token
    t7: int
    t30: int

    @property
    def client(self):
        return self.w.client

    @property
    def db(self):
        return self.w.services.db


@pytest.fixture
def neighbours(tmp_path: Path, media: Media) -> Iterator[Neighbours]:
    settings = PortalSettings(
        data_dir=tmp_path / "portal",
        secret_key=TEST_SECRET_KEY,
        retention_sweep_seconds=0,
        billing_interval_seconds=0,
        mqtt_url="",
    )
    w = make_world(settings, media)
    today = date.today()
    with w.services.db.session() as db:
        alice = db.query(Contract).filter_by(number="100001").one()
        alice.password_hash = hash_password(PASSWORD)
        carol = Contract(
            number="100003", name="Carol", address_id=alice.address_id, password_hash=hash_password(PASSWORD)
        )
        db.add(carol)
        db.flush()
        t7 = Tariff(name="Эконом", monthly_price_kopecks=15000, archive_days=7, description="")
        t30 = Tariff(name="Максимум", monthly_price_kopecks=45000, archive_days=30, description="")
        db.add_all([t7, t30])
        db.flush()
        for contract, tariff in ((alice, t7), (carol, t30)):
            tariffs.assign(db, contract.id, tariff.id, today - timedelta(days=1))
            ledger.post(db, contract.id, "payment", 100000, key=f"seed:{contract.id}", description="Оплата")
        carol_token, _ = open_session(db, contract=carol, lifetime=timedelta(days=1))
        retention.refresh(db)
        ids = (alice.id, carol.id, carol_token, t7.id, t30.id)
    yield Neighbours(w, *ids)
    w.services.db.dispose()
