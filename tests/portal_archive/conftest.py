"""Archive test fixtures: a portal on SQLite + local dir or PostgreSQL + SeaweedFS, seeded accounts, an uploader."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cloud_sync.segments import format_time, init_path, segment_path
from portal.app import create_app
from portal.auth.passwords import new_token, token_hash
from portal.auth.sessions import open_session
from portal.config import PortalSettings
from portal.models import Address, Camera, Contract, Device, LoginSession
from portal.services import Services
from tests.fixtures.keys import TEST_SECRET_KEY
from tests.fixtures.run_wide import run_wide_dir
from tests.portal_archive.media import Media, encode


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> Media:
    return encode(run_wide_dir(tmp_path_factory, "archive-media", encode))


@dataclass
class World:
    client: TestClient
    services: Services
    upload_token: str  # device box1
    other_upload_token: str  # device box2
    alice: str  # session token: contract at Шахтёров 30 п.1 (sees cam1, shared)
    bob: str  # session token: contract elsewhere, owns cam2 (private)
    media: Media

    def auth(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def session_id(self, token: str) -> int:
        """The LoginSession id behind a session token (what media tokens are bound to)."""
        with self.services.db.session() as db:
            return db.scalar(select(LoginSession.id).where(LoginSession.token_hash == token_hash(token)))

    def put_init(self, camera: str, run: str, token: str | None = None) -> int:
        response = self.client.put(
            init_path(camera, run),
            content=self.media.init,
            headers={**self.auth(token or self.upload_token), "Content-Type": "video/mp4"},
        )
        return response.status_code

    def put_segment(
        self,
        camera: str,
        run: str,
        seq: int,
        start: datetime,
        index: int | None = None,
        token: str | None = None,
        **headers: str,
    ) -> int:
        index = seq if index is None else index
        body = self.media.segments[index]
        sent = {
            **self.auth(token or self.upload_token),
            "Content-Type": "video/iso.segment",
            "X-Content-SHA256": self.media.sha(index),
            "X-Segment-Start": format_time(start),
            "X-Segment-Duration": f"{self.media.durations[index]:.3f}",
            "X-Clock-Synced": "1",
            **headers,
        }
        return self.client.put(segment_path(camera, run, seq), content=body, headers=sent).status_code

    def upload_run(self, camera: str, run: str, start: datetime, count: int, first_seq: int = 0) -> datetime:
        """A run's init and ``count`` segments from ``start``; returns the end time."""
        assert self.put_init(camera, run) in (200, 201)
        t = start
        for seq in range(first_seq, first_seq + count):
            assert self.put_segment(camera, run, seq, t, index=seq - first_seq) == 201
            t += timedelta(seconds=self.media.durations[seq - first_seq])
        return t


def run_id(start: datetime, suffix: str = "a1b2c3") -> str:
    return f"{start:%Y%m%dT%H%M%SZ}-{suffix}"


def seed(services: Services) -> tuple[str, str, str, str]:
    upload, other_upload = new_token(), new_token()
    with services.db.session() as db:
        home = Address(city="Новокузнецк", street="Шахтёров", house="30", entrance=1)
        elsewhere = Address(city="Новокузнецк", street="Кирова", house="5", entrance=2)
        db.add_all([home, elsewhere])
        db.flush()
        alice = Contract(number="100001", name="Alice", address_id=home.id)
        bob = Contract(number="100002", name="Bob", address_id=elsewhere.id)
        db.add_all([alice, bob])
        db.add_all(
            [
                Device(id="box1", address_id=home.id, upload_token_hash=token_hash(upload), state="online"),
                Device(id="box2", address_id=elsewhere.id, upload_token_hash=token_hash(other_upload), state="online"),
            ]
        )
        db.flush()
        db.add_all(
            [
                Camera(id="cam1", device_id="box1", name="Подъезд 1", address_id=home.id, retention_days=7),
                Camera(id="cam2", device_id="box2", name="Bob's yard", owner_contract_id=bob.id, retention_days=14),
            ]
        )
        db.flush()
        alice_token, _ = open_session(db, contract=alice, lifetime=timedelta(days=1))
        bob_token, _ = open_session(db, contract=bob, lifetime=timedelta(days=1))
    return upload, other_upload, alice_token, bob_token


def make_world(settings: PortalSettings, media: Media) -> World:
    app = create_app(settings)
    services = app.state.services
    upload, other, alice, bob = seed(services)
    return World(TestClient(app), services, upload, other, alice, bob, media)


def _settings(tmp_path: Path, **overrides: str) -> PortalSettings:
    return PortalSettings(
        data_dir=tmp_path / "portal", retention_sweep_seconds=0, mqtt_url="", secret_key=TEST_SECRET_KEY, **overrides
    )


@pytest.fixture
def world(tmp_path: Path, media: Media) -> Iterator[World]:
    """SQLite + local directory (the embedded default)."""
    w = make_world(_settings(tmp_path), media)
    yield w
    w.services.db.dispose()


@pytest.fixture
def pg_world(tmp_path: Path, media: Media, pg_url: str, s3) -> Iterator[World]:
    """PostgreSQL + SeaweedFS (S3): the production shape."""
    w = make_world(_settings(tmp_path, database_url=pg_url, storage_url=s3.storage_url(s3.new_bucket())), media)
    yield w
    w.services.db.dispose()


@pytest.fixture(params=["sqlite", "pg"])
def any_world(request: pytest.FixtureRequest) -> World:
    return request.getfixturevalue("world" if request.param == "sqlite" else "pg_world")
