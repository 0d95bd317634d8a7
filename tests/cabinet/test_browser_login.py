"""Cabinet login flows in Debian's Chromium: password, wrong password, lockout, transparent login, logout."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.cabinet.world import PASSWORD

pytestmark = pytest.mark.browser


def login(page: Page, url: str, contract: str, password: str, remember: bool = False) -> None:
    page.goto(f"{url}/login")
    page.fill("#contract", contract)
    page.fill("#password", password)
    if remember:
        page.check("input[name=remember]")
    page.click("button[type=submit]")


def test_login_by_contract_and_password_shows_own_and_shared_cameras(portal, page: Page, shot) -> None:
    w = portal.world
    page.goto(f"{portal.url}/cameras")
    expect(page).to_have_url(re.compile(r"/login\?next=/cameras"))
    shot(page, "login")
    login(page, portal.url, w.contract_a, PASSWORD, remember=True)
    expect(page).to_have_url(f"{portal.url}/cameras")
    expect(page.locator("h1")).to_have_text("Мои камеры")
    tiles = page.locator(".camera-tile")
    expect(tiles).to_have_count(2)
    expect(page.locator(f"[data-camera={w.shared_a}]")).to_contain_text("Шахтёров 30 п.1 — Вход")
    expect(page.locator(f"[data-camera={w.shared_a}]")).to_contain_text("в сети")
    expect(page.locator(f"[data-camera={w.private_a}]")).to_contain_text("Парковка")
    expect(page.locator(f"[data-camera={w.shared_b}]")).to_have_count(0)
    shot(page, "cameras")
    cookie = next(c for c in page.context.cookies() if c["name"] == "dozor_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert cookie["expires"] > 0  # «Запомнить» makes it outlive the browser

    page.locator(f"[data-camera={w.shared_a}] button").click()
    page.click("text=Избранное")
    expect(page.locator(".camera-tile")).to_have_count(1)
    shot(page, "favourites")

    page.click("text=Сеансы")
    expect(page.locator("#sessions tbody tr")).to_have_count(1)
    expect(page.locator("#sessions")).to_contain_text("этот сеанс")
    shot(page, "sessions")

    page.click("text=Выйти")
    expect(page).to_have_url(f"{portal.url}/login")
    page.goto(f"{portal.url}/cameras")
    expect(page).to_have_url(re.compile(r"/login"))


def test_wrong_password_is_refused_with_a_message(portal, page: Page, shot) -> None:
    login(page, portal.url, portal.world.contract_b, "Wrong-password-1")
    expect(page.locator(".error")).to_have_text("Неверный номер договора или пароль")
    expect(page.locator("#contract")).to_have_value(portal.world.contract_b)
    shot(page, "wrong_password")
    login(page, portal.url, portal.world.contract_b, PASSWORD)  # and the right one still works
    expect(page).to_have_url(f"{portal.url}/cameras")


def test_lockout_after_repeated_failures(portal, page: Page, shot) -> None:
    number = portal.world.contract_c
    for _ in range(4):
        login(page, portal.url, number, "Nope12345")
        expect(page.locator(".error")).to_have_text("Неверный номер договора или пароль")
    login(page, portal.url, number, "Nope12345")
    expect(page.locator(".error")).to_contain_text(f"Вход по договору {number} заблокирован до")
    # While locked even the right password is refused, with the same clear message.
    login(page, portal.url, number, PASSWORD)
    expect(page.locator(".error")).to_contain_text("Слишком много неудачных попыток входа")
    shot(page, "locked")


def test_transparent_login_from_a_bound_address(portal, browser: Browser, shot) -> None:
    w = portal.world
    # The portal trusts 127.0.0.1 as its reverse proxy; the "ISP network" address arrives in X-Forwarded-For.
    context = browser.new_context(extra_http_headers={"X-Forwarded-For": w.bound_ip})
    page = context.new_page()
    try:
        page.goto(f"{portal.url}/cameras")
        expect(page).to_have_url(f"{portal.url}/cameras")
        expect(page.locator(".camera-tile")).to_have_count(2)
        shot(page, "transparent")
        page.goto(f"{portal.url}/account/sessions")
        expect(page.locator("#sessions")).to_contain_text("вход из сети провайдера")
        expect(page.locator("#sessions")).to_contain_text(w.bound_ip)
        # «Выйти» works on the home network too: no silent re-login until the browser restarts.
        page.click("text=Выйти")
        page.goto(f"{portal.url}/cameras")
        expect(page).to_have_url(re.compile(r"/login"))
    finally:
        context.close()


def test_unbound_or_spoofed_address_gets_the_login_form(portal, browser: Browser) -> None:
    # An address outside the binding, and a spoofed hop behind an untrusted one, both get the form.
    for header in ("10.20.31.7", f"{portal.world.bound_ip}, 192.0.2.10"):
        context = browser.new_context(extra_http_headers={"X-Forwarded-For": header})
        page = context.new_page()
        try:
            page.goto(f"{portal.url}/cameras")
            expect(page).to_have_url(re.compile(r"/login"))
            expect(page.locator("#contract")).to_be_visible()
        finally:
            context.close()
