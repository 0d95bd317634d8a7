"""Translation URLs and embed pages are bound to the Forpost session that asked for them: a revoked session,
a password reset, a disabled contract or a lost camera closes them on the next fetch (410), also for an app
that holds the URL for a long time; the embed page's IsTimeline flag decides whether archive controls show."""

import re
from collections.abc import Callable
from html import unescape

import pytest
from sqlalchemy import select

from portal.auth.passwords import token_hash
from portal.cabinet.contracts import bind_address, set_password, set_status
from portal.cabinet.my_sessions import revoke_own
from portal.models import Address, Contract, LoginSession
from portal.models.forpost import Translation
from tests.forpost.conftest import World


def _contract(db) -> Contract:
    return db.scalar(select(Contract).where(Contract.number == "1001"))


def _revoke(world: World, sid: str) -> None:
    with world.services.db.session() as db:  # «Завершить сеанс» in the web cabinet
        row = db.scalar(select(LoginSession).where(LoginSession.token_hash == token_hash(sid)))
        revoke_own(db, _contract(db).id, row.id)


def _password_reset(world: World, sid: str) -> None:
    with world.services.db.session() as db:
        set_password(db, _contract(db), "Совсем-новый-пароль-42")


def _disable(world: World, sid: str) -> None:
    with world.services.db.session() as db:
        set_status(db, _contract(db), "disabled")


def _move_out(world: World, sid: str) -> None:
    with world.services.db.session() as db:  # the entrance camera is shared by the old address only
        elsewhere = db.scalar(select(Address).where(Address.street == "Кирова"))
        bind_address(db, _contract(db), elsewhere.id)


EVENTS = [_revoke, _password_reset, _disable, _move_out]


@pytest.mark.parametrize("event", EVENTS, ids=lambda f: f.__name__.strip("_"))
def test_event_closes_an_open_translation(world: World, event: Callable[[World, str], None]) -> None:
    sid = world.login()
    camera = world.number_of(sid, "Подъезд")
    url = world.call("GetTranslationURL", SessionID=sid, CameraID=camera, Format="HLS")["URL"]
    assert world.client.get(url).status_code == 200  # the app is playing
    event(world, sid)
    assert world.client.get(url).status_code == 410
    with world.services.db.session() as db:
        assert db.scalar(select(Translation.close_reason)) == "revoked"


def _embed_url(world: World, sid: str, timeline: int = 0) -> str:
    camera = world.number_of(sid, "Подъезд")
    answer = world.call(
        "GetEmbedClient", SessionID=sid, CustomerLogin="1001", CameraID=camera, IsTimeline=timeline, UserIP=""
    )
    return answer["Url"]


def _player_src(html: str) -> str:
    match = re.search(r'data-src="([^"]+)"', html)
    assert match, html
    return unescape(match.group(1))


@pytest.mark.parametrize("event", EVENTS, ids=lambda f: f.__name__.strip("_"))
def test_event_ends_the_embed_page_and_its_translation(world: World, event: Callable[[World, str], None]) -> None:
    sid = world.login()
    url = _embed_url(world, sid)
    page = world.client.get(url)
    assert page.status_code == 200
    src = _player_src(page.text)
    assert world.client.get(src).status_code == 200
    event(world, sid)
    again = world.client.get(url)
    # A page of an ended session or a disabled contract is refused; after a move it lists no camera to play.
    assert again.status_code == (200 if event is _move_out else 403) and "data-src" not in again.text
    assert world.client.get(src).status_code == 410


def test_logout_ends_the_embed_page_and_its_translation(world: World) -> None:
    sid = world.login()
    url = _embed_url(world, sid)
    src = _player_src(world.client.get(url).text)
    assert world.call("Logout", SessionID=sid) == {"Result": 1}
    assert world.client.get(url).status_code == 403
    assert world.client.get(src).status_code == 410


def test_embed_timeline_flag_decides_archive_controls(world: World) -> None:
    sid = world.login()
    # IsTimeline=0: live only; an archive moment added to the URL is ignored (a live translation opens).
    live_only = world.client.get(_embed_url(world, sid, timeline=0) + "&at=2020-01-01T10:00")
    assert live_only.status_code == 200 and "data-src" in live_only.text
    assert 'id="archive-controls"' not in live_only.text and 'id="timeline"' not in live_only.text
    # IsTimeline=1: the recorded ranges, a moment picker, and the picked moment plays from the archive.
    url = _embed_url(world, sid, timeline=1)
    page = world.client.get(url)
    assert page.status_code == 200
    assert 'id="archive-controls"' in page.text and 'type="datetime-local"' in page.text
    assert 'id="timeline"' in page.text
    archive = world.client.get(url + "&at=2020-01-01T10:00")  # 10:00 in the contract's zone (UTC+7)
    assert archive.status_code == 200 and "Прямой эфир" in archive.text
    assert world.client.get(url + "&at=not-a-time").text.count("Время архива") == 1
    with world.services.db.session() as db:
        starts = [t.start_at for t in db.scalars(select(Translation).order_by(Translation.id))]
    assert starts[:2] == [None, None] and starts[2].isoformat() == "2020-01-01T03:00:00+00:00" and len(starts) == 3
