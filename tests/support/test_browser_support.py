"""The support desk in Debian's Chromium: the seed's form with three attachments → ticket → the operator
answers in the console → the subscriber sees the answer; the chat bot's path; live chat between two pages
served by two different `dozor portal serve` processes on one database. Screenshots are kept."""

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from portal import migrate
from portal.db import Database
from tests.cabinet.conftest import start_portal
from tests.cabinet.world import OPERATOR_PASSWORD, PASSWORD, provision
from tests.fixtures.browser import save_screenshot, screenshot_path
from tests.fixtures.keys import TEST_SECRET_KEY
from tests.fixtures.ports import free_port, wait_until
from tests.fixtures.process import ServerProcess
from tests.support.conftest import JPEG, PDF, PNG

pytestmark = pytest.mark.browser
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory):
    running, server, thread = start_portal(tmp_path_factory.mktemp("support-portal"))
    yield running
    server.should_exit = True
    thread.join(timeout=15)


@pytest.fixture
def shot(request: pytest.FixtureRequest):
    def take(page: Page, step: str) -> None:
        save_screenshot(
            page, screenshot_path(request.config.rootpath / "test-artifacts", f"support_{request.node.name}_{step}")
        )

    return take


def subscriber_login(page: Page, url: str, contract: str) -> None:
    page.goto(f"{url}/login")
    page.fill("#contract", contract)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{url}/cameras")


def operator_login(page: Page, url: str, login: str) -> None:
    page.goto(f"{url}/operator/login")
    page.fill("#login", login)
    page.fill("#password", OPERATOR_PASSWORD)
    page.click("button[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/operator/login"))


def test_form_with_three_attachments_answered_in_the_console(portal, browser: Browser, shot) -> None:
    w = portal.world
    sub = browser.new_context(viewport={"width": 390, "height": 844}).new_page()  # a phone
    subscriber_login(sub, portal.url, w.contract_a)
    sub.click("text=Поддержка")
    sub.click("text=Написать в поддержку")
    expect(sub.locator("h1")).to_have_text("Написать в поддержку")
    sub.fill("#name", "Иван Петрович")
    sub.fill("#phone", "+7 905 123-45-67")
    sub.select_option("#topic", label="Камера не показывает изображение")
    sub.fill("#address", "г.Новокузнецк, ул.Шахтёров 30")
    sub.check(f"input[name=camera_ids][value={w.shared_a}]")
    sub.check("input[name=camera_provider][value=ours]")
    sub.check("input[name=cameras_online][value=no]")
    sub.check("input[name=mounting_height][value=mid]")
    sub.check("input[name=camera_supplier][value=other]")
    sub.fill("#text", "Камера у входа не показывает изображение с утра.")
    sub.set_input_files(
        "#files",
        [
            {"name": "экран.png", "mimeType": "image/png", "buffer": PNG},
            {"name": "фото.jpg", "mimeType": "image/jpeg", "buffer": JPEG},
            {"name": "акт.pdf", "mimeType": "application/pdf", "buffer": PDF},
        ],
    )
    shot(sub, "form")
    sub.click("#support-form button[type=submit]")
    expect(sub).to_have_url(re.compile(r"/support/tickets/\d+"))
    expect(sub.locator(".notice")).to_contain_text("отправлено")
    expect(sub.locator("#thread .files li")).to_have_count(3)
    ticket_id = sub.url.split("/")[-1].split("?")[0]
    shot(sub, "ticket")

    op = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    operator_login(op, portal.url, w.operator)
    op.goto(f"{portal.url}/operator/support")
    row = op.locator(f'#queue tr[data-ticket="{ticket_id}"]')
    expect(row).to_contain_text("Камера не показывает изображение")
    shot(op, "queue")
    row.locator("a").click()
    expect(op.locator(".ticket-fields")).to_contain_text("Другой поставщик")
    op.select_option("#canned", label="Перезагрузка камеры")
    expect(op.locator("#text")).to_have_value(re.compile("отключите питание камеры"))
    shot(op, "answer")
    op.click("#reply-form button[type=submit]")
    expect(op.locator("#status")).to_have_text("Ждём ответа абонента")

    sub.reload()
    expect(sub.locator("#thread li.staff")).to_contain_text("отключите питание камеры")
    expect(sub.locator("#status")).to_have_text("Ждём ответа абонента")
    shot(sub, "answered")
    sub.context.close()
    op.context.close()


def test_bot_path_section_topic_guidance_text_and_file(portal, page: Page, shot) -> None:
    subscriber_login(page, portal.url, portal.world.contract_b)
    page.goto(f"{portal.url}/support/bot")
    page.click("text=Технический вопрос")
    page.click("text=Камера не показывает")
    expect(page.locator("#guidance")).to_contain_text("Проверьте питание камеры")
    shot(page, "guidance")
    page.fill("#text", "Индикатор питания не горит")
    page.set_input_files("#files", [{"name": "камера.jpg", "mimeType": "image/jpeg", "buffer": JPEG}])
    page.click("#bot-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/support/tickets/\d+"))
    expect(page.locator("main")).to_contain_text("Технический вопрос → Камера не показывает")
    expect(page.locator("#thread .files li")).to_have_count(1)
    shot(page, "ticket")


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, object]]:
    """Two `dozor portal serve` processes on one SQLite database and object store."""
    root = tmp_path_factory.mktemp("support-workers")
    data = root / "portal"
    data.mkdir()
    db = Database(f"sqlite:///{data / 'portal.sqlite3'}")
    migrate.upgrade(db)
    world = provision(db)
    db.dispose()
    procs, urls = [], []
    for n in (1, 2):
        port = free_port()
        proc = ServerProcess(f"portal{n}", root / f"portal{n}.log")
        env = {
            **os.environ,
            "DOZOR_DATA_DIR": str(data),
            "DOZOR_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "DOZOR_SECRET_KEY": TEST_SECRET_KEY,
        }
        proc.spawn([str(BIN / "dozor"), "portal", "serve", "--host", "127.0.0.1", "--port", str(port)], env=env)
        procs.append(proc)
        urls.append(f"http://127.0.0.1:{port}")

    def up(url: str) -> bool:
        try:
            return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        for url in urls:
            wait_until(lambda url=url: up(url), 90, message=f"{url}/healthz")
        yield urls[0], urls[1], world, procs
    finally:
        for proc in procs:
            proc.stop()


def test_live_chat_between_two_worker_processes(two_workers, browser: Browser, shot) -> None:
    url1, url2, world, procs = two_workers
    assert procs[0].pid != procs[1].pid
    sub = browser.new_context().new_page()
    subscriber_login(sub, url1, world.contract_a)
    sub.goto(f"{url1}/support/chat")
    expect(sub.locator("#chat-state")).to_have_attribute("data-state", "online")
    chat_id = sub.locator("#chat").get_attribute("data-chat")

    op = browser.new_context().new_page()
    operator_login(op, url2, world.operator)
    op.goto(f"{url2}/operator/support/chats/{chat_id}")
    expect(op.locator("#chat-state")).to_have_attribute("data-state", "online")
    # A marker that a reload would wipe: both pages must keep it through the exchange.
    sub.evaluate("window.noReload = 1")
    op.evaluate("window.noReload = 1")

    sub.fill("#chat-text", "Здравствуйте! Камера у входа не показывает.")
    sub.click("#chat-form button[type=submit]")
    expect(op.locator("#chat li.subscriber")).to_contain_text("Камера у входа не показывает")
    op.fill("#chat-text", "Добрый день! Проверим камеру.")
    op.click("#chat-form button[type=submit]")
    expect(sub.locator("#chat li.staff")).to_contain_text("Проверим камеру")
    assert sub.evaluate("window.noReload") == 1 and op.evaluate("window.noReload") == 1
    shot(sub, "subscriber")
    shot(op, "operator")

    # The socket's fallback: a reload shows the whole history from the database.
    sub.reload()
    expect(sub.locator("#chat li")).to_have_count(2)
    op.click("#to-ticket")
    expect(op).to_have_url(re.compile(r"/operator/support/tickets/\d+"))
    expect(op.locator("#thread")).to_contain_text("Абонент: Здравствуйте!")
    shot(op, "ticket")
    sub.context.close()
    op.context.close()
