"""In Chromium: the subscriber opens «Баланс», sees balance, next charge and tariff, switches to a tariff with a
smaller archive (confirming the warning) and sees the switch scheduled for tomorrow. Screenshots kept."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from portal.billing import accrual, ledger, tariffs
from portal.models import Contract, ContractBilling, Tariff
from tests.cabinet.conftest import Portal, start_portal
from tests.cabinet.world import PASSWORD
from tests.fixtures.browser import save_screenshot, screenshot_path

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    running, server, thread = start_portal(
        tmp_path_factory.mktemp("portal"), billing_interval_seconds=0, retention_sweep_seconds=0
    )
    with running.db.session() as db:
        t30 = Tariff(name="Максимум", monthly_price_kopecks=45000, archive_days=30, description="Месяц архива")
        t7 = Tariff(name="Эконом", monthly_price_kopecks=15000, archive_days=7, description="Неделя архива")
        db.add_all([t30, t7])
        db.flush()
        contract = db.query(Contract).filter_by(number=running.world.contract_a).one()
        today = accrual.local_day(datetime.now(UTC), contract.tz)
        tariffs.assign(db, contract.id, t30.id, today - timedelta(days=3))
        ledger.post(db, contract.id, "payment", 50000, key="browser-seed", description="Оплата картой")
    accrual.run(running.db, datetime.now(UTC))
    yield running
    server.should_exit = True
    thread.join(timeout=15)


@pytest.fixture
def shot(request: pytest.FixtureRequest):
    def take(page: Page, step: str) -> None:
        save_screenshot(page, screenshot_path(request.config.rootpath / "test-artifacts", f"billing_{step}"))

    return take


def test_tariff_switch_in_the_cabinet(portal: Portal, page: Page, shot) -> None:
    page.goto(f"{portal.url}/login")
    page.fill("#contract", portal.world.contract_a)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{portal.url}/cameras")
    page.click("nav >> text=Баланс")
    expect(page).to_have_url(f"{portal.url}/billing")
    expect(page.locator("#tariff-name")).to_have_text("Максимум")
    expect(page.locator("#balance")).to_contain_text("₽")
    expect(page.locator("#next-charge")).to_contain_text("Следующее списание")
    expect(page.locator("#topup-link")).to_have_attribute("href", "/billing/topup")
    shot(page, "account")
    page.click("#change-tariff")
    expect(page).to_have_url(f"{portal.url}/billing/tariffs")
    economy = page.locator(".tariff", has_text="Эконом")
    expect(economy).to_contain_text("Архив старше 7 дн. станет недоступен")
    shot(page, "tariffs")
    messages: list[str] = []

    def accept(dialog) -> None:
        messages.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    economy.locator("button").click()
    expect(page.locator(".notice[role=status]")).to_contain_text("Тариф «Эконом» начнёт действовать с")
    expect(page.locator("#depth-warning")).to_contain_text("только за 7 дн.")
    assert messages and "7 дн." in messages[0]
    shot(page, "switched")
    page.goto(f"{portal.url}/billing")
    expect(page.locator("#pending")).to_contain_text("«Эконом»")
    shot(page, "pending")
    with portal.db.session() as db:
        contract = db.query(Contract).filter_by(number=portal.world.contract_a).one()
        account = db.get(ContractBilling, contract.id)
        economy_id = db.query(Tariff).filter_by(name="Эконом").one().id
        assert account.pending_tariff_id == economy_id
        assert account.pending_from == accrual.local_day(datetime.now(UTC), account.tz) + timedelta(days=1)
