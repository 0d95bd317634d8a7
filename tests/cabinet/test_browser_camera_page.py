"""The camera page as an archive browser, in Chromium at a phone's 390x844 and a desktop's 1366x800: readable
labels at every zoom, a click on recorded time plays that moment, a click on a gap says why, the calendar
reaches the oldest day of the retention in two actions, pinch zoom, and keyboard-only use up to the download.

One module-scoped portal with two runs of real video and a typed camera outage between them; one page load
per scenario.
"""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.cabinet.recordings import report_gap, upload_recording
from tests.cabinet.world import PASSWORD
from tests.portal_archive.media import SEGMENT_SECONDS, encode

pytestmark = pytest.mark.browser

VIEWPORTS = {"phone": (390, 844), "desktop": (1366, 800)}
RUN_SEGMENTS = 20  # two minutes per run


@pytest.fixture(scope="module")
def archive(portal, tmp_path_factory):
    """Run A, then 6 minutes the camera was unreachable (the box says so), then run B; 40 minutes ago."""
    media = encode(tmp_path_factory.mktemp("media"), seconds=RUN_SEGMENTS * SEGMENT_SECONDS)
    camera = portal.world.shared_a
    a_start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=40)
    a_end = upload_recording(portal, media, camera, a_start, RUN_SEGMENTS)
    b_start = a_end + timedelta(minutes=6)
    report_gap(portal, camera, a_end, b_start, "camera_unreachable")
    b_end = upload_recording(portal, media, camera, b_start, RUN_SEGMENTS)
    return {"camera": camera, "a": (a_start, a_end), "gap": (a_end, b_start), "b": (b_start, b_end)}


def open_camera(page: Page, portal, camera: str, size: tuple[int, int]) -> None:
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(f"{portal.url}/login?next=/cameras/{camera}")
    page.fill("#contract", portal.world.contract_c)  # a neighbour at the entrance: the camera is shared
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#timeline")).to_have_attribute("data-loaded", "1")


LABEL_BOXES = """() => {
  const bar = document.getElementById('timeline').getBoundingClientRect();
  return [...document.querySelectorAll('#timeline .tick-label')].map((l) => {
    const r = l.getBoundingClientRect();
    const s = getComputedStyle(l);
    return {text: l.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom,
            visible: s.visibility !== 'hidden' && s.display !== 'none' && r.width > 0 && r.height > 0,
            bar: {left: bar.left, right: bar.right, top: bar.top, bottom: bar.bottom}};
  });
}"""


def assert_labels_readable(page: Page, size: tuple[int, int], zoom: str) -> None:
    labels = page.evaluate(LABEL_BOXES)
    assert len(labels) >= 3, f"{zoom}: only {len(labels)} labels"
    for label in labels:
        bar = label["bar"]
        assert label["visible"] and label["text"].strip(), (zoom, label)
        assert bar["left"] <= label["left"] and label["right"] <= bar["right"], (zoom, "clipped sideways", label)
        assert bar["top"] <= label["top"] and label["bottom"] <= bar["bottom"], (zoom, "clipped", label)
        assert label["left"] >= 0 and label["right"] <= size[0] and label["top"] >= 0, (zoom, "off screen", label)
    lefts = sorted(label["left"] for label in labels)
    rights = sorted(label["right"] for label in labels)
    assert all(rights[i] <= lefts[i + 1] for i in range(len(labels) - 1)), (zoom, "labels overlap", labels)


def view_ms(page: Page) -> tuple[int, int]:
    timeline = page.locator("#timeline")
    return int(timeline.get_attribute("data-view-start")), int(timeline.get_attribute("data-view-end"))


def click_at(page: Page, moment: datetime) -> float:
    """Click the scale where ``moment`` is; returns the instant (ms) under the click."""
    page.locator("#timeline").scroll_into_view_if_needed()
    start, end = view_ms(page)
    box = page.locator("#timeline .track").bounding_box()
    assert box["y"] + box["height"] <= page.viewport_size["height"], box
    fraction = (moment.timestamp() * 1000 - start) / (end - start)
    assert 0.02 < fraction < 0.98, fraction
    x = box["x"] + box["width"] * fraction
    page.mouse.click(x, box["y"] + box["height"] / 2)
    return start + (x - box["x"]) / box["width"] * (end - start)


@pytest.mark.parametrize("device", VIEWPORTS)
def test_archive_browser(portal, archive, page: Page, shot, device: str) -> None:
    size = VIEWPORTS[device]
    open_camera(page, portal, archive["camera"], size)
    expect(page.locator("#player-note")).to_contain_text("Прямой эфир сейчас недоступен")  # nothing fresh
    assert_labels_readable(page, size, "first view")
    shot(page, f"{device}_first_view")
    zooms = (("86400", "24 h"), (str(7 * 86400), "retention"), ("60", "1 min"), ("300", "5 min"), ("21600", "6 h"))
    for value, zoom in zooms:
        page.select_option("#span", value)
        assert_labels_readable(page, size, zoom)
    shot(page, f"{device}_6h")

    # «Перейти к времени» to the middle of run A: one hour around it, the cursor there, and it plays.
    a_start, a_end = archive["a"]
    tz = ZoneInfo(page.locator("#camera").get_attribute("data-tz"))
    middle = a_start + (a_end - a_start) / 2
    page.fill("#goto-time", middle.astimezone(tz).strftime("%Y-%m-%dT%H:%M:%S"))
    page.get_by_role("button", name="Перейти").click()
    expect(page.locator("#mode")).to_have_text("архив")
    expect(page.locator("#timeline .range")).to_have_count(2)
    expect(page.locator("#timeline .gap[data-reason=camera_unreachable]")).to_have_count(1)
    assert_labels_readable(page, size, "1 h")

    # A click on recorded time fixes the cursor there and plays that very moment (within one segment).
    target = a_start + (a_end - a_start) * 0.3
    clicked = click_at(page, target)
    expect(page.locator("#cursor-time")).not_to_have_text("не выбран")
    cursor_ms = int(page.locator("#timeline").get_attribute("aria-valuenow")) * 1000
    assert abs(cursor_ms - clicked) <= 1000
    expect(page.locator("#gap-note")).to_have_text("")
    expect(page.locator("#download-btn")).to_be_enabled()
    video = page.locator("#player")
    page.wait_for_function("document.getElementById('player').dataset.firstPlayingDate !== undefined")
    page.wait_for_function("document.getElementById('player').currentTime > 0")
    first = datetime.fromisoformat(video.get_attribute("data-first-playing-date").replace("Z", "+00:00"))
    assert abs(first.timestamp() * 1000 - cursor_ms) <= SEGMENT_SECONDS * 1000, (first, cursor_ms)
    shot(page, f"{device}_playing")

    # Speed and pause are the archive player's.
    page.get_by_role("button", name="Скорость 4×").click()
    assert page.evaluate("document.getElementById('player').playbackRate") == 4
    page.get_by_role("button", name="Пауза").click()
    expect(page.get_by_role("button", name="Смотреть")).to_be_visible()

    # A click on the gap says why there is no video and offers the nearest recorded moment.
    gap_start, gap_end = archive["gap"]
    if device == "desktop":  # hover tells it too
        start, end = view_ms(page)
        box = page.locator("#timeline .track").bounding_box()
        middle_ms = (gap_start + (gap_end - gap_start) / 2).timestamp() * 1000
        page.mouse.move(box["x"] + box["width"] * (middle_ms - start) / (end - start), box["y"] + 10)
        expect(page.locator("#hover-text")).to_contain_text("камера недоступна")
    click_at(page, gap_start + (gap_end - gap_start) * 0.6)
    expect(page.locator("#gap-note")).to_have_text("— записи нет: камера недоступна")
    nearest = page.locator("#nearest-btn")
    expect(nearest).to_be_visible()
    shot(page, f"{device}_gap")
    nearest.click()
    expect(page.locator("#gap-note")).to_have_text("")
    cursor_ms = int(page.locator("#timeline").get_attribute("aria-valuenow")) * 1000
    b_start = archive["b"][0].timestamp() * 1000
    assert b_start - 1000 <= cursor_ms <= b_start + 1000  # the gap's later edge is the nearer one (60 %)

    # Previous/next gap: from run B back to where the outage started.
    page.get_by_role("button", name="Предыдущий разрыв или событие").click()
    expect(page.locator("#gap-note")).to_have_text("— записи нет: камера недоступна")

    # The calendar reaches the oldest day of the retention in two actions; days without video say so.
    page.get_by_role("button", name="Дата").click()  # 1
    days = page.locator("#calendar button.day")
    oldest = (datetime.now(UTC) - timedelta(days=7)).astimezone(tz)
    expect(days).to_have_count(8)  # the oldest (partial) day to today
    first_day = days.first.get_attribute("aria-label")
    assert first_day.startswith(f"{oldest.day} ") and str(oldest.year) in first_day, first_day
    assert first_day.endswith("нет записи")
    assert page.locator("#calendar button.day.has").count() >= 1
    shot(page, f"{device}_calendar")
    days.first.click()  # 2
    start, end = view_ms(page)
    assert datetime.fromtimestamp(start / 1000, tz).day == oldest.day and end - start <= 86400_000 + 3600_000
    expect(page.locator("#gap-note")).to_contain_text("записи нет")
    assert_labels_readable(page, size, "oldest day")
    shot(page, f"{device}_oldest_day")

    # Nothing wider than the screen, down to a 360 px phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
    if device == "phone":
        page.set_viewport_size({"width": 360, "height": 740})
        page.wait_for_function("document.documentElement.scrollWidth <= 360")
        page.get_by_role("button", name="Приблизить (+)").click()  # redraws the scale at the new width
        assert_labels_readable(page, (360, 740), "360 px")
        shot(page, "phone_360")

    # Live always returns to live (here: says there is none now, and does not ask for it).
    page.get_by_role("button", name="Прямой эфир").click()
    expect(page.locator("#player-note")).to_contain_text("Прямой эфир сейчас недоступен")


def test_pinch_and_wheel_zoom(portal, archive, page: Page) -> None:
    open_camera(page, portal, archive["camera"], VIEWPORTS["phone"])
    start, end = view_ms(page)
    # Two fingers spreading from 100 px to 300 px apart: the view gets three times closer.
    page.evaluate("""() => {
      const el = document.getElementById('timeline');
      const r = el.getBoundingClientRect();
      const y = r.top + 40, mid = r.left + r.width / 2;
      const fire = (type, id, x) => el.dispatchEvent(new PointerEvent(type, {pointerId: id, clientX: x, clientY: y,
        pointerType: 'touch', isPrimary: id === 1, bubbles: true}));
      fire('pointerdown', 1, mid - 50); fire('pointerdown', 2, mid + 50);
      fire('pointermove', 1, mid - 150); fire('pointermove', 2, mid + 150);
      fire('pointerup', 1, mid - 150); fire('pointerup', 2, mid + 150);
    }""")
    pinched = view_ms(page)
    assert abs((pinched[1] - pinched[0]) * 3 - (end - start)) < (end - start) * 0.02
    expect(page.locator("#cursor-time")).to_have_text("не выбран")  # a pinch is no tap
    box = page.locator("#timeline").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 40)
    page.mouse.wheel(0, 200)
    span = "(t => t.dataset.viewEnd - t.dataset.viewStart)(document.getElementById('timeline'))"
    page.wait_for_function(f"{span} > {pinched[1] - pinched[0] + 1000}")  # wheel down: farther
    # A drag pans: the view moves back in time and the cursor stays unset.
    before = view_ms(page)
    page.mouse.move(box["x"] + 50, box["y"] + 40)
    page.mouse.down()
    page.mouse.move(box["x"] + 250, box["y"] + 40, steps=5)
    page.mouse.up()
    after = view_ms(page)
    assert after[0] < before[0]
    expect(page.locator("#cursor-time")).to_have_text("не выбран")


def test_keyboard_alone_reaches_the_download(portal, archive, page: Page, shot) -> None:
    open_camera(page, portal, archive["camera"], VIEWPORTS["desktop"])

    def tab_to(element_id: str, limit: int = 60) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
                return
        raise AssertionError(f"#{element_id} not reached with Tab")

    tab_to("timeline")
    expect(page.locator("#timeline")).to_have_accessible_name("Шкала времени архива")
    start, end = view_ms(page)
    page.keyboard.press("+")
    zoomed = view_ms(page)
    assert abs((zoomed[1] - zoomed[0]) * 2 - (end - start)) < 2000
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#cursor-time")).not_to_have_text("не выбран")
    first = int(page.locator("#timeline").get_attribute("aria-valuenow"))
    page.keyboard.press("Shift+ArrowLeft")
    jumped = int(page.locator("#timeline").get_attribute("aria-valuenow"))
    assert first - jumped >= (zoomed[1] - zoomed[0]) / 1000 / 4 - 2
    tab_to("download-btn")
    page.keyboard.press("Enter")
    expect(page.locator("#download-dialog")).to_be_visible()
    tab_to("download-link", limit=10)
    href = page.locator("#download-link").get_attribute("href")
    start = datetime.fromisoformat(parse_qs(urlsplit(href).query)["start"][0].replace("Z", "+00:00"))
    assert abs(start.timestamp() - jumped) <= 1, (href, jumped)  # the dialog starts at the cursor
    shot(page, "keyboard_download")
    page.keyboard.press("Escape")
    expect(page.locator("#download-dialog")).to_be_hidden()
