"""/metrics serves Prometheus text with real counters: ingested segments and bytes, logins by outcome, and HTTP
requests by route template and status. Counters are process-wide, so the test compares before and after."""

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from portal.cabinet.contracts import set_password
from portal.config import PortalSettings
from portal.models import Contract
from tests.portal_archive.conftest import World, run_id


def _samples(w: World) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    w.services.settings.metrics_token = "scrape-secret"  # the test client is on no metrics_allow network
    response = w.client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _delta(before: dict, after: dict, name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


def test_metrics_count_ingest_logins_and_requests(world: World) -> None:
    w = world
    with w.services.db.session() as db:
        set_password(db, db.scalar(select(Contract).where(Contract.number == "100001")), "Kamera-2024-alice")
    before = _samples(w)

    start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=30)
    w.upload_run("cam1", run_id(start), start, 3)
    assert w.put_segment("cam1", run_id(start), 0, start) == 200  # a repeat is not stored again, nor counted
    ok = w.client.post("/api/v1/auth/login", json={"contract": "100001", "password": "Kamera-2024-alice"})
    assert ok.status_code == 200
    session = w.auth(ok.json()["token"])  # the new password ended her older sessions
    wrong = w.client.post("/api/v1/auth/login", json={"contract": "100001", "password": "not-her-password"})
    assert wrong.status_code == 401
    window = {"from": start.isoformat(), "to": (start + timedelta(minutes=1)).isoformat()}
    for _ in range(2):
        assert w.client.get("/api/v1/cameras/cam1/timeline", params=window, headers=session).status_code == 200
    assert w.client.get("/api/v1/cameras/cam2/timeline", params=window, headers=session).status_code == 403

    after = _samples(w)
    assert _delta(before, after, "dozor_ingest_segments_total") == 3
    assert _delta(before, after, "dozor_ingest_bytes_total") == sum(len(s) for s in w.media.segments[:3])
    assert _delta(before, after, "dozor_logins_total", kind="api", result="ok") == 1
    assert _delta(before, after, "dozor_logins_total", kind="subscriber", result="failed") == 1
    timeline = "/api/v1/cameras/{camera_id}/timeline"  # the template, not the path with its camera id
    assert _delta(before, after, "dozor_http_requests_total", method="GET", route=timeline, status="200") == 2
    assert _delta(before, after, "dozor_http_requests_total", method="GET", route=timeline, status="403") == 1
    login = "/api/v1/auth/login"
    assert _delta(before, after, "dozor_http_requests_total", method="POST", route=login, status="401") == 1


def test_metrics_allow_list_and_token(world: World) -> None:
    w = world
    assert w.services.settings.metrics_token == ""
    local = TestClient(w.client.app, client=("127.0.0.1", 40000))
    outside = TestClient(w.client.app, client=("203.0.113.7", 40000))
    assert local.get("/metrics").status_code == 200  # loopback is on the default allow list
    refused = outside.get("/metrics")
    assert refused.status_code == 403 and "metrics_allow" in refused.json()["detail"]
    w.services.settings.metrics_allow = ["203.0.113.0/24"]
    assert outside.get("/metrics").status_code == 200
    assert local.get("/metrics").status_code == 403
    w.services.settings.metrics_allow = ["127.0.0.0/8"]
    with pytest.raises(ValueError, match="metrics_allow"):
        PortalSettings(metrics_allow=["10.0.0.300/8"])


def test_metrics_token_when_configured(world: World) -> None:
    w = world
    w.services.settings.metrics_token = "scrape-secret"
    assert w.client.get("/metrics").status_code == 401
    assert w.client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert w.client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"}).status_code == 200
