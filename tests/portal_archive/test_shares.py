"""Share links: one clip without login until expiry or revocation, nothing else, every access logged."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update

from portal.models.shares import ClipShare
from tests.fixtures.served import served
from tests.portal_archive.conftest import World, run_id


def _share(w: World, start: datetime, duration: float = 30, token: str | None = None, **extra):
    body = {"start": start.isoformat(), "duration": duration, **extra}
    return w.client.post("/api/v1/cameras/cam1/shares", json=body, headers=w.auth(token or w.alice))


def _path(url: str) -> str:
    return urlsplit(url).path


def test_share_link_serves_one_clip_until_revoked_and_logs_every_access(world: World) -> None:
    w = world
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    w.upload_run("cam1", run_id(t0), t0, 10)
    made = _share(w, t0 + timedelta(seconds=12), 24, note="участковому")
    assert made.status_code == 201, made.text
    share = made.json()
    page_path = _path(share["url"])
    anonymous = {"Cookie": ""}
    page = w.client.get(page_path, headers=anonymous)
    assert page.status_code == 200 and "Подъезд 1" in page.text and "clip.mp4" in page.text
    file = w.client.get(page_path + "/clip.mp4", headers=anonymous)
    assert file.status_code == 200 and file.headers["content-type"] == "video/mp4"
    assert file.headers["content-disposition"].startswith("inline;")
    assert float(file.headers["x-content-duration"]) == pytest.approx(24, abs=1.0)
    part = w.client.get(page_path + "/clip.mp4", headers={**anonymous, "Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == file.content[100:200]

    # Nothing else: the share token is no media token, and another range is not reachable with it.
    token = page_path.rsplit("/", 1)[1]
    other = w.client.get("/api/v1/cameras/cam1/timeline", params={"from": t0.isoformat(), "to": "now", "token": token})
    assert other.status_code in (403, 422)
    assert w.client.get("/api/v1/shares").status_code == 401

    # Bob cannot see or revoke Alice's link; Alice sees it used three times.
    assert w.client.delete(f"/api/v1/shares/{share['id']}", headers=w.auth(w.bob)).status_code == 404
    listed = w.client.get("/api/v1/shares", headers=w.auth(w.alice)).json()
    assert [(s["id"], s["used"], s["note"], s["url"]) for s in listed] == [(share["id"], 3, "участковому", None)]
    revoked = w.client.delete(f"/api/v1/shares/{share['id']}", headers=w.auth(w.alice))
    assert revoked.status_code == 200 and revoked.json()["revoked"] is True
    after = w.client.get(page_path, headers=anonymous)
    assert after.status_code == 410 and "отозвал" in after.text
    assert w.client.get(page_path + "/clip.mp4", headers=anonymous).status_code == 410
    log = w.client.get(f"/api/v1/shares/{share['id']}/accesses", headers=w.auth(w.alice)).json()
    assert [(a["what"], a["outcome"]) for a in log] == [
        ("file", "revoked"),
        ("page", "revoked"),
        ("file", "served"),
        ("file", "served"),
        ("page", "served"),
    ]
    assert log[2]["byte_range"] == "bytes=100-199" and log[0]["ip"]


def test_share_link_expires_and_bad_input_is_named(world: World) -> None:
    w = world
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    w.upload_run("cam1", run_id(t0), t0, 5)
    made = _share(w, t0, 20, expires_in_hours=1).json()
    with w.services.db.session() as db:
        db.execute(update(ClipShare).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    expired = w.client.get(_path(made["url"]))
    assert expired.status_code == 410 and "истёк" in expired.text
    assert w.client.get("/s/" + "x" * 43).status_code == 404
    assert w.client.get("/s/bad!").status_code == 404
    too_long = _share(w, t0, 20, expires_in_hours=24 * 31)
    assert too_long.status_code == 422 and "expires_in_hours" in too_long.text
    not_hers = w.client.post(
        "/api/v1/cameras/cam2/shares", json={"start": t0.isoformat(), "duration": 20}, headers=w.auth(w.alice)
    )
    assert not_hers.status_code == 403
    nothing = _share(w, t0 - timedelta(hours=2), 20)
    assert nothing.status_code == 404 and "no video recorded" in nothing.json()["detail"]
    bad_start = _share(w, datetime(2026, 1, 1, tzinfo=UTC), 20)
    assert bad_start.status_code == 400 and "start" in bad_start.json()["detail"]


@pytest.mark.browser
def test_share_link_plays_in_a_fresh_browser_without_login_and_is_refused_after_revocation(
    world: World, page: Page
) -> None:
    w = world
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    w.upload_run("cam1", run_id(t0), t0, 10)
    with served(w.client.app) as base:
        share = _share(w, t0 + timedelta(seconds=6), 30).json()
        url = f"{base}{_path(share['url'])}"
        page.goto(url)  # the page fixture is a fresh context: no session cookie
        expect(page.locator("#what")).to_contain_text("Подъезд 1")
        page.wait_for_function("document.querySelector('#clip').readyState >= 1", timeout=20_000)
        duration = page.evaluate("document.querySelector('#clip').duration")
        assert duration == pytest.approx(30, abs=1.5)
        assert w.client.delete(f"/api/v1/shares/{share['id']}", headers=w.auth(w.alice)).status_code == 200
        answer = page.goto(url)
        assert answer is not None and answer.status == 410
        expect(page.locator("#refused")).to_contain_text("отозвал")
        assert page.locator("video").count() == 0
