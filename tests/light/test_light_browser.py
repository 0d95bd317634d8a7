"""The cabinet's «Экономно» choice in Chromium on real parts (docs/live-light.md): on a phone-sized screen the
camera page plays the light stream (the box's 160x90 sub-stream, relayed because the page watches); one tap on
«Экономно» switches to the main stream (320x240). The world is test_light_e2e's: simulator, box, broker, portal."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from portal.auth.sessions import SESSION_COOKIE
from tests.fixtures.ports import wait_until
from tests.light.test_light_e2e import CAM, MAIN, OWNER, SUB, _bearer, _light_capable, _main_segments, world
from tests.sync.stack import BoxProcess, Stack

pytestmark = [pytest.mark.slow, pytest.mark.browser]
__all__ = ["world"]  # the fixture, imported for this module's test


def test_phone_plays_the_light_stream_and_switches_to_main(world: tuple[Stack, BoxProcess], browser: Browser) -> None:
    stack, _box = world
    wait_until(lambda: _light_capable(stack), 60, message="the box reporting the camera's sub-stream")
    wait_until(lambda: _main_segments(stack) >= 2, 60, message="the main stream recorded (live available)")
    token = _bearer(stack, OWNER)["Authorization"].split(" ", 1)[1]
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="ru-RU")
    context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": stack.portal_url}])
    page = context.new_page()
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    try:
        page.goto(f"{stack.portal_url}/cameras/{CAM}")
        assert page.locator("#camera").get_attribute("data-quality") == "light"
        assert page.locator("#quality-btn").get_attribute("aria-pressed") == "true"
        size = "() => { const v = document.getElementById('player'); return [v.videoWidth, v.videoHeight, v.currentTime]; }"  # noqa: E501
        wait_until(
            lambda: (s := page.evaluate(size))[:2] == list(SUB) and s[2] > 0.5, 60, message="the light stream playing"
        )
        assert any("/light.m3u8" in u for u in asked) and not any("/live.m3u8" in u for u in asked)

        page.locator("#quality-btn").click()
        assert page.locator("#camera").get_attribute("data-quality") == "main"
        wait_until(lambda: page.evaluate(size)[:2] == list(MAIN), 60, message="the main stream playing")
        assert any("/live.m3u8" in u for u in asked)
    finally:
        context.close()
