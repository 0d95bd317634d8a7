"""In Chromium: log in, add a camera pointing at the RTSP simulator, probe it, and watch it record."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.fixtures.ports import wait_until
from tests.techui.conftest import LABEL_PASSWORD

pytestmark = pytest.mark.browser


def test_technician_adds_camera_and_sees_it_record(onsite, rtsp_camera, page: Page) -> None:
    camera = rtsp_camera(paths=("stairs",), user="admin", password="cam-pass", fps=10)
    site = onsite()

    page.goto(site.url + "/cameras")
    expect(page).to_have_url(re.compile(r"/login\?next=/cameras$"))
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    expect(page.locator("#login-error")).to_contain_text("Неверный пароль")
    page.fill("input[name=password]", LABEL_PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(site.url + "/cameras")

    page.click("text=Добавить камеру")
    page.fill("input[name=id]", "stairs-1")
    page.fill("input[name=name]", "Лестница")
    page.fill("input[name=url]", camera.url("stairs", user="", password=""))
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "wrong")
    page.click("#probe-button")
    expect(page.locator("#probe-result")).to_contain_text("401", timeout=30_000)

    page.fill("input[name=password]", "cam-pass")
    page.click("#probe-button")
    expect(page.locator("#probe-codec")).to_contain_text("h264", timeout=30_000)
    expect(page.locator("#probe-resolution")).to_have_text("320×240")

    page.fill("input[name=password]", "cam-pass")
    page.fill("input[name=segment_seconds]", "2")
    page.click("#save-button")
    expect(page.locator("p.ok")).to_contain_text("Камера stairs-1 сохранена")

    wait_until(
        lambda: site.box.status()["cameras"]["stairs-1"]["state"] == "recording", 60, message="the new camera recording"
    )
    wait_until(lambda: site.box.catalogue.latest_segment("stairs-1") is not None, 60, message="a first segment")
    page.goto(site.url + "/")
    card = page.locator("article[data-camera=stairs-1]")
    expect(card.locator(".state")).to_have_text("идёт запись")
    snapshot = card.locator("img.snapshot")
    expect(snapshot).to_be_visible()
    wait_until(
        lambda: snapshot.evaluate("img => img.complete && img.naturalWidth") == 320,
        20,
        message="the snapshot image decoded in the browser",
    )
