"""Top-up and auto-payment in Debian's Chromium: the cabinet redirects to the gateway's confirmation page
(our YooKassa-format server, or the built-in test mode) and back, and the balance updates."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.cabinet.world import PASSWORD

pytestmark = pytest.mark.browser


def _login(page: Page, url: str, contract: str) -> None:
    page.goto(f"{url}/login?next=/billing/topup")
    page.fill("#contract", contract)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{url}/billing/topup")


def test_topup_through_the_gateway_redirect_and_back_then_autopay_settings(pay_portal, kassa, page: Page, shot) -> None:
    portal = pay_portal
    _login(page, portal.url, portal.world.contract_a)
    expect(page.locator("#balance")).to_have_text("0,00\u00a0₽")
    page.fill("#amount", "12.345")
    page.click("#topup button[type=submit]")
    expect(page.locator(".error")).to_contain_text("Сумма: не больше двух знаков после запятой")
    shot(page, "bad_amount")

    page.fill("#amount", "150")
    page.check("input[name=save_card]")
    shot(page, "topup_form")
    page.click("#topup button[type=submit]")
    expect(page).to_have_url(re.compile(re.escape(kassa.base_url) + r"/checkout/"))
    expect(page.locator("h1")).to_have_text("Оплата 150.00 ₽")
    shot(page, "gateway_checkout")
    page.click("#pay")
    expect(page).to_have_url(f"{portal.url}/billing/topup?result=ok")
    expect(page.locator(".notice")).to_have_text("Платёж зачислен, баланс обновлён")
    expect(page.locator("#balance")).to_have_text("150,00\u00a0₽")
    expect(page.locator("#payments tbody tr").first).to_contain_text("зачислен")
    shot(page, "back_in_cabinet")

    page.click("text=Автоплатёж")
    expect(page).to_have_url(f"{portal.url}/billing/autopay")
    expect(page.locator("#autopay-state")).to_contain_text("Автоплатёж выключен")
    expect(page.locator("#payment_method_id option")).to_have_text(["Bank card *4444"])
    page.fill("#threshold", "200")
    page.fill("#amount", "0")
    page.click("#autopay-form button[type=submit]")
    expect(page.locator(".error")).to_contain_text("Сумма: сумма должна быть больше нуля")
    page.fill("#amount", "500")
    page.click("#autopay-form button[type=submit]")
    expect(page.locator(".notice")).to_have_text("Автоплатёж включён")
    expect(page.locator("#autopay-state")).to_contain_text("500,00\u00a0₽ с карты Bank card *4444")
    expect(page.locator("#autopay-state")).to_contain_text("меньше 200,00\u00a0₽")
    expect(page.locator("#threshold")).to_have_value("200.00")  # the form shows what is set
    shot(page, "autopay_on")
    page.click("#autopay-off")
    expect(page.locator(".notice")).to_have_text("Автоплатёж отключён, сохранённая карта забыта")
    expect(page.locator("#autopay-state")).to_contain_text("Автоплатёж выключен")
    expect(page.locator("#payment_method_id")).to_have_count(0)  # the card is forgotten
    shot(page, "autopay_off")


def test_canceled_at_the_gateway_comes_back_without_credit(pay_portal, kassa, page: Page, shot) -> None:
    _login(page, pay_portal.url, pay_portal.world.contract_a)
    page.fill("#amount", "75.50")
    page.click("#topup button[type=submit]")
    page.click("#cancel")
    expect(page).to_have_url(f"{pay_portal.url}/billing/topup?result=canceled")
    expect(page.locator(".error")).to_have_text("Платёж отменён — деньги не списаны")
    expect(page.locator("#balance")).to_have_text("0,00\u00a0₽")
    shot(page, "canceled")


def test_test_mode_gateway_page_pays_and_returns_to_the_cabinet(pay_portal_factory, page: Page, shot) -> None:
    portal = pay_portal_factory(None)  # the embedded default of `make run`
    _login(page, portal.url, portal.world.contract_a)
    page.fill("#amount", "300")
    page.click("#topup button[type=submit]")
    expect(page).to_have_url(re.compile(r"/billing/test-gateway/test-"))
    expect(page.locator("#test-gateway")).to_contain_text("тестовый режим")
    expect(page.locator("#test-gateway button")).to_have_text(["Оплатить"])  # one button
    shot(page, "test_gateway")
    page.click("text=Оплатить")
    expect(page).to_have_url(f"{portal.url}/billing/topup?result=ok")
    expect(page.locator("#balance")).to_have_text("300,00\u00a0₽")
    shot(page, "test_gateway_back")
