"""Password recovery (seed 001): the whole flow in Chromium, and the edge cases against the domain functions."""

import re
from datetime import timedelta

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal.auth.sessions import resolve
from portal.cabinet import recovery
from portal.cabinet.contracts import find_contract, phones_of
from portal.cabinet.errors import FieldError
from portal.cabinet.login import check_password_login
from portal.models import RecoveryRequest, utcnow
from portal.models.notify import NotifyMessage
from tests.cabinet.world import PASSWORD


def last_code(portal, phone: str) -> str:
    with portal.db.session() as s:
        text = s.scalars(
            select(NotifyMessage.body).where(NotifyMessage.recipient == phone).order_by(NotifyMessage.id.desc())
        ).first()
    return re.search(r"\b(\d{6})\b", text).group(1)


@pytest.mark.browser
def test_whole_recovery_flow_in_the_browser(portal, page: Page, browser, shot) -> None:
    w = portal.world
    # A session that must end when the password changes.
    api = httpx.post(f"{portal.url}/api/v1/auth/login", json={"contract": w.contract_b, "password": PASSWORD})
    old_token = api.json()["token"]

    page.goto(f"{portal.url}/login")
    page.click("text=Не помните пароль?")
    shot(page, "start")
    page.fill("#contract", w.contract_b)
    page.get_by_role("button", name="Найти").click()
    expect(page).to_have_url(f"{portal.url}/recover/phone")
    expect(page.locator(".phones")).to_contain_text("+7 999 ***-**-22")
    expect(page.locator(".phones")).not_to_contain_text(w.phone_b)  # only masked
    shot(page, "phones")
    page.get_by_role("button", name="Отправить код").click()
    expect(page).to_have_url(f"{portal.url}/recover/code")
    shot(page, "code")

    page.fill("#code", "000000" if last_code(portal, w.phone_b) != "000000" else "111111")
    page.get_by_role("button", name="Проверить").click()
    expect(page.locator(".error")).to_have_text("Код: неверный код; осталось попыток: 2")

    code = last_code(portal, w.phone_b)
    page.fill("#code", code)
    page.get_by_role("button", name="Проверить").click()
    expect(page).to_have_url(f"{portal.url}/recover/password")
    page.fill("#password", "short")
    page.fill("#password2", "short")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.locator(".error")).to_have_text("Новый пароль: пароль должен быть не короче 8 символов")
    shot(page, "weak_password")
    page.fill("#password", "NovyParol77")
    page.fill("#password2", "NovyParol77")
    page.get_by_role("button", name="Сохранить").click()
    expect(page).to_have_url(f"{portal.url}/login?recovered=1")
    expect(page.locator(".notice")).to_contain_text("Пароль изменён")

    with portal.db.session() as s:
        assert resolve(s, old_token) is None  # every old session ended
    page.fill("#contract", w.contract_b)
    page.fill("#password", "NovyParol77")
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{portal.url}/cameras")
    shot(page, "logged_in")

    # The operator sees the SMS in the console's outbox, its code masked.
    op = browser.new_context().new_page()
    op.goto(f"{portal.url}/operator/sms")
    op.fill("#login", w.operator)
    op.fill("#password", "Pult2024secret")
    op.click("button[type=submit]")
    expect(op.locator("#outbox")).to_contain_text(w.phone_b)
    expect(op.locator("#outbox")).to_contain_text("код восстановления пароля ••••••")
    expect(op.locator("#outbox")).not_to_contain_text(code)  # the console never shows a code
    shot(op, "operator_outbox")
    op.context.close()


@pytest.fixture
def flow(portal):
    """A recovery of contract A started and its code sent to A's first phone; yields (session, request, code)."""
    with portal.db.session() as s:
        _, req = recovery.start(s, portal.world.contract_a)
        phone = phones_of(s, req.contract_id)[0]
        recovery.send_code(s, req, phone.id)
        yield s, req, last_code_in(s, phone.phone)
        s.rollback()  # leave the shared world as it was


def last_code_in(s, phone: str) -> str:
    text = s.scalars(
        select(NotifyMessage.body).where(NotifyMessage.recipient == phone).order_by(NotifyMessage.id.desc())
    ).first()
    return re.search(r"\b(\d{6})\b", text).group(1)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_expired_code_is_refused(flow) -> None:
    s, req, code = flow
    later = utcnow() + recovery.CODE_TTL + timedelta(seconds=1)
    with pytest.raises(FieldError, match="срок действия кода истёк"):
        recovery.verify_code(s, req, code, now=later)
    assert req.verified_at is None


def test_three_wrong_codes_burn_the_code(flow) -> None:
    s, req, code = flow
    for left in (2, 1):
        with pytest.raises(FieldError, match=f"осталось попыток: {left}"):
            recovery.verify_code(s, req, wrong(code))
    with pytest.raises(FieldError, match="попытки исчерпаны"):
        recovery.verify_code(s, req, wrong(code))
    with pytest.raises(FieldError, match="три неверных ввода"):
        recovery.verify_code(s, req, code)  # even the right code is dead now
    assert req.verified_at is None


def test_reused_code_is_refused(flow, portal) -> None:
    s, req, code = flow
    recovery.verify_code(s, req, code)
    with pytest.raises(FieldError, match="уже использован"):
        recovery.verify_code(s, req, code)
    recovery.complete(s, req, "Drugoi-Parol9", "Drugoi-Parol9")
    assert recovery.load(s, "whatever") is None
    with pytest.raises(FieldError, match="уже использован"):
        recovery.verify_code(s, req, code)
    contract = check_password_login(s, portal.app.state.services.settings, portal.world.contract_a, "Drugoi-Parol9", "")
    assert contract.number == portal.world.contract_a


def test_phone_not_bound_to_the_contract_is_refused(flow, portal) -> None:
    s, req, _ = flow
    other = phones_of(s, find_contract(s, portal.world.contract_c).id)[0]
    before = s.scalar(select(NotifyMessage.id).order_by(NotifyMessage.id.desc()))
    with pytest.raises(FieldError, match="не привязан к договору"):
        recovery.send_code(s, req, other.id, now=utcnow() + timedelta(minutes=2))
    assert s.scalar(select(NotifyMessage.id).order_by(NotifyMessage.id.desc())) == before  # no SMS to a stranger


def test_resend_limits(flow) -> None:
    s, req, _ = flow
    with pytest.raises(FieldError, match="новый код можно запросить через"):
        recovery.send_code(s, req, None)
    t = utcnow()
    for step in (1, 2):
        recovery.send_code(s, req, None, now=t + timedelta(minutes=step))
    with pytest.raises(FieldError, match="лимит SMS исчерпан"):
        recovery.send_code(s, req, None, now=t + timedelta(minutes=3))
    assert req.sends == recovery.SENDS_PER_FLOW


def test_unknown_contract_and_stale_flow(portal) -> None:
    with portal.db.session() as s:
        with pytest.raises(FieldError, match="восстановить пароль по SMS нельзя"):
            recovery.start(s, "no-such-contract")
        token, req = recovery.start(s, portal.world.contract_c)
        assert recovery.load(s, token) is req
        assert recovery.load(s, token, now=utcnow() + recovery.FLOW_TTL) is None
        s.rollback()


def test_recovery_requests_store_no_plain_code_or_token(flow) -> None:
    s, req, code = flow
    row = s.scalar(select(RecoveryRequest).where(RecoveryRequest.id == req.id))
    assert code not in row.code_hash and len(row.token_hash) == 64
