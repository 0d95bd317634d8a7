"""The camera page with the other domains' optional APIs: motion events (`camera_events`) drawn as marks and
used by «next event», and thumbnail sprites (`camera_thumbnails`) previewed on hover. Without those routes the
page gets no URL for them (and asks nothing).

The events are rows as the motion ingest stores them; the thumbnails are the downloads domain's real sprite of
the uploaded video.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect

from portal.cabinet.camera_page import page_urls
from portal.models import Camera
from portal.models.motion import MotionEvent
from tests.cabinet.recordings import upload_recording
from tests.cabinet.world import PASSWORD
from tests.portal_archive.media import SEGMENT_SECONDS, encode


def test_optional_urls_only_for_registered_routes() -> None:
    app = FastAPI()
    assert page_urls(app, "cam-1")["events"] is None and page_urls(app, "cam-1")["thumbnails"] is None

    @app.get("/api/v1/cameras/{camera_id}/events", name="camera_events")
    def events(camera_id: str) -> list:
        return []

    urls = page_urls(app, "cam-1")
    assert urls["events"] == "/api/v1/cameras/cam-1/events" and urls["thumbnails"] is None
    assert urls["timeline"] == "/api/v1/cameras/cam-1/timeline"


@pytest.mark.browser
def test_event_marks_next_event_and_previews(portal, page: Page, tmp_path_factory) -> None:
    w = portal.world
    media = encode(tmp_path_factory.mktemp("media"), seconds=20 * SEGMENT_SECONDS)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    upload_recording(portal, media, w.shared_a, start, 20)
    moments = [start + timedelta(seconds=s) for s in (20, 22, 70)]

    with portal.db.session() as db:  # what a box's motion ingest leaves (portal/motion)
        camera = db.get(Camera, w.shared_a)
        assert camera is not None
        for i, t in enumerate(moments):
            db.add(MotionEvent(device_id=camera.device_id, camera_id=camera.id, motion_id=f"{i:016x}", start=t,
                               end=t + timedelta(seconds=3)))  # fmt: skip
        db.commit()
    failed: list[str] = []
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
    page.goto(f"{portal.url}/login?next=/cameras/{w.shared_a}")
    page.fill("#contract", w.contract_c)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#legend")).to_contain_text("движение")
    expect(page.locator("#timeline")).to_have_attribute("data-loaded", "1")
    page.select_option("#span", "3600")
    expect(page.locator("#timeline .event-mark").first).to_be_visible()
    # Two events overlapping by a second share a few pixels at one hour: a denser mark, not two.
    expect(page.locator("#timeline .event-mark[title='Движение: 2']")).not_to_have_count(0)

    # «Next» from the start of the recording goes to the first event, then the next one.
    tz = ZoneInfo(page.locator("#camera").get_attribute("data-tz"))
    local = (start + timedelta(seconds=5)).astimezone(tz).strftime("%Y-%m-%dT%H:%M:%S")
    page.fill("#goto-time", local)
    page.get_by_role("button", name="Перейти").click()
    expect(page.locator("#mode")).to_have_text("архив")
    page.get_by_role("button", name="Следующий разрыв или событие").click()
    cursor = page.locator("#timeline")
    expect(cursor).to_have_attribute("aria-valuenow", str(int(moments[0].timestamp())))
    page.get_by_role("button", name="Следующий разрыв или событие").click()
    expect(cursor).to_have_attribute("aria-valuenow", str(int(moments[1].timestamp())))

    # Hovering the scale shows the sprite's tile nearest the pointer.
    page.locator("#timeline").scroll_into_view_if_needed()
    box = page.locator("#timeline .track").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + 10)
    page.mouse.move(box["x"] + box["width"] * 0.52, box["y"] + 10)
    thumb = page.locator("#hover-thumb")
    expect(thumb).to_be_visible()
    assert "url(" in (thumb.get_attribute("style") or "")  # a tile of the real sprite (portal/archive/thumbnails)
    assert not failed, failed
