"""Signed media URLs live only as long as the session they were issued to, and only while its contract may
still watch the camera: logout, revocation, password reset, a disabled contract and a lost camera end them on
the next request. A token never buys a fresh one; only the live session renews."""

import re
import time
import types
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from portal.archive import signing
from portal.cabinet.contracts import bind_address, set_password, set_status
from portal.cabinet.my_sessions import revoke_own
from portal.models import Address, Contract
from tests.portal_archive.conftest import World, run_id

TOKEN = re.compile(r"[?&]token=([^&\s\"]+)")


def _record(w: World) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(seconds=30)
    w.upload_run("cam1", run_id(start), start, 4)


def _signed_urls(w: World) -> list[str]:
    """What a player holds: the /stream live URL and the segment and init URLs of its playlist."""
    stream = w.client.get("/api/v1/cameras/cam1/stream", headers=w.auth(w.alice))
    assert stream.status_code == 200, stream.text
    live = stream.json()["live"]
    playlist = w.client.get(live)
    assert playlist.status_code == 200, playlist.text
    objects = re.findall(r'(/api/v1/cameras/cam1/(?:segments|init)/[^"\s]+)', playlist.text)
    assert objects
    urls = [live, *objects]
    for url in urls:
        assert w.client.get(url).status_code == 200, url  # no cookie, no bearer: the token alone opens it
    return urls


def _alice(db) -> Contract:
    return db.scalar(select(Contract).where(Contract.number == "100001"))


def _logout(w: World) -> None:
    assert w.client.post("/api/v1/auth/logout", headers=w.auth(w.alice)).status_code == 204


def _revoke(w: World) -> None:
    with w.services.db.session() as db:  # «Завершить сеанс» from another device of the same contract
        revoke_own(db, _alice(db).id, w.session_id(w.alice))


def _password_reset(w: World) -> None:
    with w.services.db.session() as db:  # what recovery and the password change page call
        set_password(db, _alice(db), "Совсем-новый-пароль-42")


def _disable(w: World) -> None:
    with w.services.db.session() as db:
        set_status(db, _alice(db), "disabled")


def _move_out(w: World) -> None:
    with w.services.db.session() as db:  # the tenant moves to Bob's entrance: cam1 is no longer hers
        elsewhere = db.scalar(select(Address).where(Address.street == "Кирова"))
        bind_address(db, _alice(db), elsewhere.id)


@pytest.mark.parametrize(
    "event", [_logout, _revoke, _password_reset, _disable, _move_out], ids=lambda f: f.__name__.strip("_")
)
def test_event_ends_existing_media_urls_at_once(world: World, event: Callable[[World], None]) -> None:
    w = world
    _record(w)
    urls = _signed_urls(w)
    event(w)
    for url in urls:
        assert w.client.get(url).status_code == 403, url


def _expiries(text: str) -> set[int]:
    return {int(token.split(".")[-2]) for token in TOKEN.findall(text)}


def _clock_at(monkeypatch: pytest.MonkeyPatch, moment: float) -> None:
    monkeypatch.setattr(signing, "time", types.SimpleNamespace(time=lambda: moment))


def test_a_leaked_playlist_url_gets_no_fresh_token(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    w = world
    _record(w)
    stream = w.client.get("/api/v1/cameras/cam1/stream", headers=w.auth(w.alice)).json()
    assert stream["expires"] <= time.time() + w.services.settings.media_token_ttl + 5  # short-lived
    _clock_at(monkeypatch, time.time() + 60)  # still valid; a re-signed token would now end later
    leaked = w.client.get(stream["live"])  # no cookie, no bearer: only the URL
    assert leaked.status_code == 200
    assert set(TOKEN.findall(leaked.text)) == {stream["token"]}  # the same token passed on, nothing newer
    assert _expiries(leaked.text) == {stream["expires"]}


def test_a_token_is_not_renewed_without_the_live_session(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    w = world
    _record(w)
    urls = _signed_urls(w)
    later = time.time() + w.services.settings.media_token_ttl + 1
    _clock_at(monkeypatch, later)  # the clock moves past the token's end
    for url in urls:
        assert w.client.get(url).status_code == 403, url  # the token ended; the playlist renews nothing
    # The live session renews: /stream signs a fresh token of the same session, and it plays.
    fresh = w.client.get("/api/v1/cameras/cam1/stream", headers=w.auth(w.alice)).json()
    assert fresh["expires"] > later
    assert w.client.get(fresh["live"]).status_code == 200
    # A playlist fetched with the session itself re-signs for its objects: that is how the cabinet's live
    # view keeps playing (hls.js reloads the playlist with the cookie every segment).
    playlist = w.client.get("/api/v1/cameras/cam1/live.m3u8", headers=w.auth(w.alice))
    assert _expiries(playlist.text) and min(_expiries(playlist.text)) > later


def test_a_forged_session_in_a_token_opens_nothing(world: World) -> None:
    w = world
    _record(w)
    token = signing.sign(w.services.settings.secret_key, "cam1", w.session_id(w.alice))
    forged = token.replace(f"{w.session_id(w.alice)}.", f"{w.session_id(w.bob)}.", 1)
    assert w.client.get("/api/v1/cameras/cam1/live.m3u8", params={"token": token}).status_code == 200
    assert w.client.get("/api/v1/cameras/cam1/live.m3u8", params={"token": forged}).status_code == 403


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def test_cabinet_logout_ends_the_pages_media_urls(world: World) -> None:
    """The web cabinet's way: the camera page's player loads the playlist with the session cookie, and the
    signed object URLs in it die with «Выйти»."""
    w = world
    _record(w)
    with w.services.db.session() as db:
        set_password(db, _alice(db), "Kamera-2024-alice")
    browser = TestClient(w.client.app, follow_redirects=False)
    form = _csrf(browser.get("/login").text)
    login = browser.post("/login", data={"contract": "100001", "password": "Kamera-2024-alice", "csrf": form})
    assert login.status_code == 303
    page = browser.get("/cameras/cam1")
    live_url = re.search(r'data-live-url="([^"]+)"', page.text).group(1)
    assert "token=" not in live_url  # the page's own URL carries no credential: the cookie does
    playlist = browser.get(live_url)
    assert playlist.status_code == 200
    objects = re.findall(r'(/api/v1/cameras/cam1/(?:segments|init)/[^"\s]+)', playlist.text)
    leaked = TestClient(w.client.app)  # someone who copied a URL out of the player: no cookie
    assert objects and all(leaked.get(url).status_code == 200 for url in objects)
    assert browser.post("/logout", data={"csrf": _csrf(page.text)}).status_code == 303
    assert all(leaked.get(url).status_code == 403 for url in objects)
    assert browser.get(live_url).status_code == 401
