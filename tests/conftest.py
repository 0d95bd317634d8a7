"""Shared fixtures: throwaway real servers on 127.0.0.1 free ports (see tests/fixtures/)."""

from __future__ import annotations

import os

# Cheap argon2 for the thousands of accounts a run makes (dozor/hashing.py); set before any portal import.
os.environ.setdefault("DOZOR_PASSWORD_HASH_PROFILE", "CHEAPEST")

import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

import pytest

from portal import migrate
from tests.fixtures.browser import chromium_path, close_page, launch_chromium, screenshot_path
from tests.fixtures.mosquitto import Mosquitto, write_acl_file, write_password_file
from tests.fixtures.postgres import PostgresCluster, pg_binary
from tests.fixtures.process import start_with_retries
from tests.fixtures.rtsp import RtspCamera
from tests.fixtures.schema_template import template_upgrade
from tests.fixtures.seaweedfs import SeaweedS3

# Fresh databases get the migrated schema by copy (tests/fixtures/schema_template.py says why and when not).
migrate.upgrade = template_upgrade(migrate.upgrade)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


def stop_all(servers: Iterable[RtspCamera | Mosquitto]) -> None:
    """Stop every server even if one of them fails to stop; then report the first failure."""
    errors: list[Exception] = []
    for server in servers:
        try:
            server.stop()
        except Exception as exc:
            errors.append(exc)
    if errors:
        raise errors[0]


@pytest.fixture
def rtsp_camera(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., RtspCamera]]:
    """Factory: `rtsp_camera(paths=("cam1",), user=None, password=None, fps=10, gop=None, ...)` -> started camera.

    Each call starts its own simulator process (the test may kill/freeze/restart it); all stop at teardown.
    """
    cameras: list[RtspCamera] = []

    def make(paths: tuple[str, ...] | list[str] = ("cam1",), **options: object) -> RtspCamera:
        def build() -> RtspCamera:
            camera = RtspCamera(tmp_path_factory.mktemp("rtsp"), tuple(paths), **options)  # type: ignore[arg-type]
            cameras.append(camera)
            return camera.start()

        # A port chosen by the test is not retried: the test wants exactly that one.
        return build() if options.get("port") else start_with_retries(build)

    yield make
    stop_all(cameras)


@pytest.fixture(scope="session")
def rtsp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RtspCamera]:
    """One shared simulator, no auth, paths cam1..cam3. Do not kill it: use `rtsp_camera` for that."""
    camera = start_with_retries(
        lambda: RtspCamera(tmp_path_factory.mktemp("rtsp-shared"), ("cam1", "cam2", "cam3")).start()
    )
    yield camera
    camera.stop()


@pytest.fixture(scope="session")
def mosquitto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mosquitto]:
    """Shared broker, anonymous allowed, no ACL: `mosquitto.host`, `mosquitto.port`. Do not restart it."""
    broker = start_with_retries(
        lambda: Mosquitto(tmp_path_factory.mktemp("mosquitto-shared"), allow_anonymous=True).start()
    )
    yield broker
    broker.stop()


@pytest.fixture
def mosquitto_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Mosquitto]]:
    """Factory: `mosquitto_factory(users={"a": "pw"}, acl_patterns=["readwrite dozor/v1/%u/#"],
    acl_users={"portal": ["readwrite dozor/#"]}, allow_anonymous=None)` -> started broker of its own.

    With `users`, an ACL is always written (default pattern `readwrite dozor/v1/%u/#`) and anonymous is off.
    """
    brokers: list[Mosquitto] = []

    def make(
        users: Mapping[str, str] | None = None,
        acl_patterns: Iterable[str] | None = None,
        acl_users: Mapping[str, Iterable[str]] | None = None,
        allow_anonymous: bool | None = None,
    ) -> Mosquitto:
        workdir = tmp_path_factory.mktemp("mosquitto")
        password_file = write_password_file(workdir / "passwd", users) if users else None
        acl_file = None
        if users or acl_patterns is not None or acl_users:
            patterns = ("readwrite dozor/v1/%u/#",) if acl_patterns is None else list(acl_patterns)
            acl_file = write_acl_file(workdir / "acl", patterns, acl_users)

        def build() -> Mosquitto:
            broker = Mosquitto(workdir, password_file=password_file, acl_file=acl_file, allow_anonymous=allow_anonymous)
            brokers.append(broker)
            return broker.start()

        return start_with_retries(build)

    yield make
    stop_all(brokers)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresCluster]:
    """Throwaway initdb cluster (trust auth, fsync off); the machine's 127.0.0.1:5432 only if initdb is missing.

    `pg_server.url(dbname)`, `.create_database()`, `.drop_database(name)`, `.query(sql, dbname)`. Do not stop it.
    """
    if pg_binary("initdb") is None:
        yield PostgresCluster.external().start()
        return
    clusters: list[PostgresCluster] = []

    def build() -> PostgresCluster:
        clusters.append(PostgresCluster())
        return clusters[-1].start()

    try:
        yield start_with_retries(build)
    finally:
        for cluster in clusters:  # failed attempts too: each one owns an initdb'd directory
            cluster.cleanup()


@pytest.fixture
def pg_url(pg_server: PostgresCluster) -> Iterator[str]:
    """SQLAlchemy URL `postgresql+psycopg://postgres@127.0.0.1:PORT/dozor_test_xxx` of a fresh, empty database."""
    name = pg_server.create_database()
    yield pg_server.url(name)
    pg_server.drop_database(name)


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedS3]:
    """SeaweedFS S3 on 127.0.0.1: `.endpoint_url`, `.access_key`, `.secret_key`, `.region`, `.client()`,
    `.new_bucket()` (unique, empty), `.storage_url(bucket)` (portal format, see tests/fixtures/seaweedfs.py).
    Shared by the session: use your own `new_bucket()`; do not stop it.
    """
    store = start_with_retries(lambda: SeaweedS3(tmp_path_factory.mktemp("seaweedfs")).start())
    yield store
    store.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium via Playwright; skips the test if Chromium is not installed."""
    if chromium_path() is None:
        pytest.skip("Chromium not installed (Debian package `chromium`; `make test` installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page in a fresh context (own cookies); its screenshot goes to test-artifacts/screenshots/<test>.png."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    new_page = context.new_page()
    try:
        yield new_page
    finally:
        target = screenshot_path(request.config.rootpath / "test-artifacts", request.node.name)
        error = close_page(new_page, target)
        if error:
            warnings.warn(f"no screenshot for {request.node.nodeid}: {error}", stacklevel=1)
