"""The seed's download flow in Chromium: open a camera, fix the cursor on the timeline, press the download
icon, choose a duration, press «Скачать» — and the file that arrives plays (decoded with PyAV)."""

import re
from datetime import UTC, datetime, timedelta

import av
import pytest
from playwright.sync_api import Page, expect

from tests.cabinet.recordings import upload_recording
from tests.cabinet.world import PASSWORD
from tests.portal_archive.media import encode

pytestmark = pytest.mark.browser


def test_seed_download_flow_produces_a_playable_file(portal, page: Page, shot, tmp_path_factory) -> None:
    w = portal.world
    media = encode(tmp_path_factory.mktemp("media"), seconds=180)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    upload_recording(portal, media, w.shared_a, start)

    page.goto(f"{portal.url}/login")
    page.fill("#contract", w.contract_c)  # C, a neighbour at A's entrance: the entrance camera is shared
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.click(f"[data-camera={w.shared_a}] h3 a")
    expect(page.locator("h1")).to_contain_text("Шахтёров 30 п.1 — Вход")
    page.select_option("#span", "3600")  # 1 hour on the scale: the 3-minute recording is wide enough to hit
    expect(page.locator("#timeline .range")).to_have_count(1)
    shot(page, "camera")

    # Fix the cursor inside the recording, a little after its start.
    page.locator("#timeline").scroll_into_view_if_needed()
    box = page.locator("#timeline .range").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.2, box["y"] + box["height"] / 2)
    expect(page.locator("#cursor-time")).not_to_have_text("не выбран")
    expect(page.locator("#gap-note")).to_have_text("")
    page.get_by_role("button", name="⤓ Скачать").click()
    expect(page.locator("#download-dialog")).to_be_visible()
    # A custom length is typed in minutes and capped at the retention (7 days here).
    page.select_option("#duration", "custom")
    page.fill("#custom-minutes", "2")
    expect(page.locator("#download-link")).to_have_attribute("href", re.compile(r"duration=120$"))
    expect(page.locator("#download-hint")).to_be_hidden()
    page.fill("#custom-minutes", "99999")  # past a day: one MP4 file holds at most 24 h, so a fragmented stream
    expect(page.locator("#download-link")).to_have_attribute("href", re.compile(r"duration=604800&format=fmp4$"))
    expect(page.locator("#download-hint")).to_be_visible()
    page.fill("#custom-minutes", "1440")
    expect(page.locator("#download-link")).to_have_attribute("href", re.compile(r"duration=86400$"))
    page.select_option("#duration", "60")
    expect(page.locator("#custom-minutes")).to_be_hidden()
    shot(page, "download_dialog")
    with page.expect_download() as info:
        page.locator("#download-link").click()
    download = info.value
    assert download.failure() is None
    path = tmp_path_factory.mktemp("dl") / download.suggested_filename
    download.save_as(path)
    assert path.suffix == ".mp4"  # the portal names the clip (camera name + local time)

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [f for f in container.decode(stream)]
    assert (stream.codec_context.width, stream.codec_context.height) == (160, 120)
    seconds = (frames[-1].pts - frames[0].pts) * stream.time_base
    assert len(frames) >= 5 * 50 and 50 <= seconds <= 70  # about one minute at 5 fps
