"""The technician UI is never open: every page needs a login; wrong passwords lead to a lockout."""

from __future__ import annotations

import httpx
import pytest

from edge.config import PortalLink
from tests.fixtures.ports import wait_until
from tests.techui.conftest import LABEL_PASSWORD

PAGES = [
    "/",
    "/status.json",
    "/cameras",
    "/cameras/new",
    "/cameras/x/edit",
    "/cameras/x/snapshot.jpg",
    "/network",
    "/logs",
    "/logs/download",
    "/selftest",
    "/selftest.json",
    "/enrol",
]
POSTS = [
    "/cameras/save",
    "/cameras/probe",
    "/cameras/x/delete",
    "/cameras/x/power-cycle",
    "/selftest",
    "/enrol",
    "/password",
    "/identify",
]


def login(client: httpx.Client, password: str) -> httpx.Response:
    return client.post("/login", data={"password": password, "next": "/"})


@pytest.mark.parametrize("path", PAGES)
def test_pages_redirect_browsers_and_refuse_others_without_login(onsite, path: str) -> None:
    site = onsite()
    with httpx.Client(base_url=site.url) as client:
        browser = client.get(path, headers={"accept": "text/html"}, follow_redirects=False)
        assert browser.status_code == 303
        assert browser.headers["location"].startswith("/login?next=")
        api = client.get(path, headers={"accept": "application/json"})
        assert api.status_code == 401


def test_posts_need_login(onsite) -> None:
    site = onsite()
    with httpx.Client(base_url=site.url) as client:
        for path in POSTS:
            assert client.post(path, data={"csrf": "x"}).status_code == 401, path


def test_login_opens_pages_and_logout_closes_them(onsite) -> None:
    site = onsite()
    with httpx.Client(base_url=site.url) as client:
        reply = login(client, LABEL_PASSWORD)
        assert reply.status_code == 303
        page = client.get("/")
        assert page.status_code == 200 and "Состояние бокса" in page.text
        csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
        # A form without this session's token is refused even with the cookie.
        assert client.post("/identify", data={"csrf": "forged"}).status_code == 403
        client.post("/logout")
        assert client.get("/", headers={"accept": "application/json"}).status_code == 401
        assert client.post("/identify", data={"csrf": csrf}).status_code == 401


def test_lockout_after_repeated_failures_even_for_right_password(onsite) -> None:
    site = onsite(technician={"max_failures": 3, "lockout_seconds": 600})
    with httpx.Client(base_url=site.url) as client:
        for _ in range(3):
            reply = login(client, "wrong-password")
            assert reply.status_code == 401 and "Неверный пароль" in reply.text
        locked = login(client, LABEL_PASSWORD)
        assert locked.status_code == 429 and "Слишком много" in locked.text
        assert client.get("/", headers={"accept": "application/json"}).status_code == 401


def test_no_password_anywhere_means_closed_not_open(onsite) -> None:
    site = onsite(technician={"label_password": None})
    with httpx.Client(base_url=site.url) as client:
        assert "вход закрыт" in client.get("/login").text
        assert login(client, "").status_code == 401
        assert client.get("/", headers={"accept": "application/json"}).status_code == 401


def test_password_is_stored_hashed_and_can_be_changed(onsite) -> None:
    site = onsite()
    stored = (site.box.data_dir / "technician.json").read_text()
    assert LABEL_PASSWORD not in stored and "$argon2" in stored
    with httpx.Client(base_url=site.url) as client:
        login(client, LABEL_PASSWORD)
        csrf = client.get("/network").text.split('name="csrf" value="')[1].split('"')[0]
        short = client.post("/password", data={"csrf": csrf, "password": "short", "repeat": "short"})
        assert short.status_code == 400 and "не короче 8" in short.text
        changed = client.post("/password", data={"csrf": csrf, "password": "new-secret-9", "repeat": "new-secret-9"})
        assert changed.status_code == 303
        assert login(client, LABEL_PASSWORD).status_code == 401
        assert login(client, "new-secret-9").status_code == 303


def test_button_hold_restores_label_password_and_reopens_enrolment(onsite) -> None:
    site = onsite(gpio={"button_pin": 27, "reset_hold_seconds": 0.3})
    site.ui.passwords.set_password("changed-by-portal")
    site.ui.enrolment.enrolled(PortalLink(url="http://portal.example"))
    assert not site.ui.enrolment.open
    pin = site.gpio.pin_factory.pin(27)
    pin.drive_low()
    wait_until(lambda: site.ui.enrolment.open, 10, message="enrolment reopened by the button hold")
    pin.drive_high()
    wait_until(lambda: site.ui.passwords.verify(LABEL_PASSWORD), 10, message="label password restored")
    assert not site.ui.passwords.verify("changed-by-portal")


def test_login_costs_one_argon2_check_even_without_a_password_and_locks_first(onsite, monkeypatch) -> None:
    """The portal's login policy on the box: an unset password still costs one verification (dummy hash);
    a locked address gets no verification at all."""
    from argon2 import PasswordHasher

    calls: list[str] = []
    real = PasswordHasher.verify

    def counting(self, hash_, password):
        calls.append(hash_)
        return real(self, hash_, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    closed = onsite(technician={"label_password": None, "max_failures": 2, "lockout_seconds": 600})
    with httpx.Client(base_url=closed.url) as client:
        assert login(client, "some-guess-1").status_code == 401
        assert len(calls) == 1 and calls[0].startswith("$argon2")
        assert login(client, "some-guess-2").status_code == 401
        assert login(client, "some-guess-3").status_code == 429
        assert len(calls) == 2  # locked: refused before any verification
