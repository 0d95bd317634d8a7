"""Every cabinet page, in Chromium, with no JavaScript error, no console error and no failed request.

The pages are found the way a subscriber finds them: from «Мои камеры», following every same-site link of
the cabinet (the camera pages too, one with live video and one with none), not from a list kept by hand.
"""

import contextlib
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.cabinet.recordings import upload_recording
from tests.cabinet.world import PASSWORD
from tests.portal_archive.media import SEGMENT_SECONDS, encode

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # ~50 s: a crawl of every cabinet page

MAX_PAGES = 40
# Not pages to look at: leaving the cabinet, files, the operator console, the JSON API.
SKIP_PREFIXES = ("/logout", "/login", "/api/", "/operator", "/ingest/", "/static/", "/translations/", "/embed")
SKIP_SUFFIXES = (".csv", ".mp4", ".jpg", ".m3u8")


def cabinet_links(page: Page, origin: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    out = []
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != origin or parts.fragment and not parts.path:
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path.startswith(SKIP_PREFIXES) or parts.path.endswith(SKIP_SUFFIXES) or "download" in parts.path:
            continue
        out.append(path)
    return out


def test_no_console_errors_or_failed_requests_on_any_cabinet_page(portal, page: Page, tmp_path_factory) -> None:
    w = portal.world
    media = encode(tmp_path_factory.mktemp("media"), seconds=5 * SEGMENT_SECONDS)
    # Fresh video on the entrance camera (its page plays live); A's private camera has none at all.
    upload_recording(portal, media, w.shared_a, datetime.now(UTC) - timedelta(seconds=5 * SEGMENT_SECONDS))
    problems: list[str] = []
    current = {"url": "/login", "leaving": False}

    def failed(request) -> None:
        # Leaving a page aborts what it still had in flight (the live stream): that is the test's doing.
        if not (current["leaving"] and request.failure == "net::ERR_ABORTED"):
            problems.append(f"{current['url']}: failed: {request.url} {request.failure}")

    page.on("console", lambda m: m.type == "error" and problems.append(f"{current['url']}: console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"{current['url']}: js error: {e}"))
    page.on("requestfailed", failed)
    page.on("response", lambda r: r.status >= 400 and problems.append(f"{current['url']}: {r.status} {r.url}"))

    page.goto(f"{portal.url}/login")
    page.fill("#contract", w.contract_a)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{portal.url}/cameras")
    page.wait_for_load_state("networkidle")
    queue, seen = ["/cameras", f"/cameras/{w.shared_a}", f"/cameras/{w.private_a}"], set()
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        current["leaving"] = True
        page.goto(portal.url + path, wait_until="commit")
        current.update(url=path, leaving=False)
        page.wait_for_load_state("load")
        # The camera page keeps streaming live video, so "idle" may never come: then look a while.
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_load_state("networkidle", timeout=4000)
        if path == f"/cameras/{w.shared_a}":
            page.wait_for_function("document.getElementById('player').currentTime > 0")
            assert page.locator("#mode").text_content() == "прямой эфир"
        queue += [link for link in cabinet_links(page, portal.url) if link not in seen]
    assert {"/cameras", "/favourites", "/account/contacts", "/account/sessions", "/billing", "/support"} <= seen
    assert not problems, "\n".join(problems)
