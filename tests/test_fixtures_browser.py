"""The browser fixtures: Debian Chromium, driven by Playwright, loads a real local page."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.fixtures.browser import close_page, screenshot_path

PAGE = b"""<!doctype html><html><head><title>Dozor fixture page</title></head>
<body><h1 id="h">Hello</h1><button onclick="document.getElementById('h').textContent='Clicked'">Go</button>
</body></html>"""


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: object) -> None:  # keep pytest output clean
        pass


@pytest.fixture
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.mark.browser
def test_chromium_reads_title_and_clicks(page, site):
    page.goto(site)
    assert page.title() == "Dozor fixture page"
    page.get_by_role("button", name="Go").click()
    assert page.locator("#h").inner_text() == "Clicked"
    assert "Chrome/" in page.evaluate("navigator.userAgent")


@pytest.mark.browser
def test_page_teardown_saves_a_screenshot(browser, site, tmp_path):
    # The `page` fixture's own teardown (close_page), run here on a page of this test: no other test needed.
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.goto(site)
    shot = screenshot_path(tmp_path, "test_chromium_reads_title_and_clicks")
    assert close_page(page, shot) is None
    assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
