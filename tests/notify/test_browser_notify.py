"""The notification centre in Debian's Chromium: the operator announces maintenance for A's entrance in the
console (audience preview first), A sees the banner on every page and the feed with the unread badge, marks it
read, and changes the subscription settings; B, at another entrance, sees no banner."""

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.cabinet.conftest import shot, start_portal
from tests.support.test_browser_support import operator_login, subscriber_login

pytestmark = pytest.mark.browser
__all__ = ["shot"]  # the cabinet's screenshot fixture


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory):
    running, server, thread = start_portal(tmp_path_factory.mktemp("notify-portal"), notify_worker_seconds=0.5,
                                           notify_quiet_start=0, notify_quiet_end=0)  # fmt: skip
    yield running
    server.should_exit = True
    thread.join(timeout=15)


def test_banner_feed_and_settings(browser: Browser, portal, shot) -> None:
    w = portal.world
    op = browser.new_context(locale="ru-RU").new_page()
    operator_login(op, portal.url, w.operator)
    op.goto(f"{portal.url}/operator/notify")
    op.select_option("select[name=kind]", "maintenance")
    op.fill("input[name=title]", "Профилактика в подъезде")
    op.fill("textarea[name=text]", "С 10:00 до 12:00 камеры могут не работать")
    op.select_option("select[name=target_kind]", "address")
    op.fill("input[name=target_value]", str(w.ids["addr_a"]))
    op.click("button[value=preview]")
    expect(op.locator("#audience")).to_have_text("Получателей: 2")
    op.click("button[value=publish]")
    expect(op).to_have_url(re.compile(r"/operator/notify/\d+$"))
    expect(op.locator("#audience")).to_have_text("2")
    shot(op, "console")

    page = browser.new_context(locale="ru-RU").new_page()
    subscriber_login(page, portal.url, w.contract_a)
    expect(page.locator("#notify-banner")).to_contain_text("Профилактика в подъезде")
    expect(page.locator("#notify-unread")).to_have_text("1")
    shot(page, "banner")
    page.click("a[href='/notifications']")
    expect(page.locator("#feed article.unread")).to_have_count(1)
    page.click("#feed article button")
    expect(page.locator("#feed article.unread")).to_have_count(0)
    page.check("input[name='door.email']")
    page.uncheck("input[name='news.email']")
    page.click("#settings button[type=submit]")
    expect(page.locator(".notice")).to_have_text("Настройки рассылок сохранены")
    expect(page.locator("input[name='door.email']")).to_be_checked()
    expect(page.locator("input[name='news.email']")).not_to_be_checked()
    shot(page, "feed")

    other = browser.new_context(locale="ru-RU").new_page()
    subscriber_login(other, portal.url, w.contract_b)
    other.goto(f"{portal.url}/notifications")
    expect(other.locator("#feed")).not_to_contain_text("Профилактика в подъезде")
    expect(other.locator("#notify-banner")).to_be_hidden()

    # The worker of the running portal delivered A's and C's messages into the local outbox; the console shows them.
    op.goto(f"{portal.url}/operator/notify/outbox")
    expect(op.locator("#outbox")).to_contain_text("a@mail.ru")
    expect(op.locator("#outbox")).to_contain_text("отправлено")  # the console speaks Russian (portal/web/labels.py)
