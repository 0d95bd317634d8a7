"""`dozor demo` end to end on the embedded defaults: portal on SQLite + local objects, amqtt, one box, two
synthetic cameras. A subscriber logs in over HTTP and in Chromium, sees both cameras, downloads a 30 s clip
that decodes; SIGINT stops every process the demo started."""

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psutil
import pytest

from tests.e2e.clips import download, inspect_clip, wait_for_recording
from tests.fixtures.ports import free_port, wait_until

pytestmark = pytest.mark.slow
CLIP_SECONDS = 30
KEYFRAME_INTERVAL = 1.0  # the synthetic cameras encode with GOP = fps
SEGMENT_SECONDS = 6  # the box's default segment length
LIVE_SLACK_SECONDS = 4  # upload of the newest segment + the player's fetch and buffer


class DemoExited(RuntimeError):
    pass


class Demo:
    def __init__(self, data: Path, port: int) -> None:
        self.data = data
        self.port = port
        self.log = (data.parent / "demo-console.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dozor", "demo", "--data", str(data), "--port", str(port)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    @property
    def ready_at(self) -> datetime:
        return datetime.fromtimestamp((self.data / "demo.json").stat().st_mtime, UTC)

    @property
    def info(self) -> dict:
        return json.loads((self.data / "demo.json").read_text(encoding="utf-8"))

    def descendants(self) -> list[psutil.Process]:
        """Every process whose command line names this demo's data directory (children run in own sessions)."""
        found = []
        for proc in psutil.process_iter(["pid", "cmdline"]):
            cmdline = " ".join(proc.info["cmdline"] or [])
            if str(self.data) in cmdline and proc.pid != self.proc.pid:
                found.append(proc)
        return found

    def console(self) -> str:
        return (self.data.parent / "demo-console.log").read_text(encoding="utf-8", errors="replace")

    def logs(self) -> str:
        """The tails of the demo's own logs, for failure messages."""
        parts = [f"--- console\n{self.console()[-1500:]}"]
        for log in sorted((self.data / "logs").glob("*.log")):
            parts.append(f"--- {log.name}\n{log.read_text(encoding='utf-8', errors='replace')[-3000:]}")
        return "\n".join(parts)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    root = tmp_path_factory.mktemp("demo")
    running = Demo(root / "data", free_port())
    try:

        def ready() -> bool:
            if running.proc.poll() is not None:
                raise DemoExited(f"dozor demo exited with {running.proc.returncode}:\n{running.console()}")
            return (running.data / "demo.json").exists()

        wait_until(
            ready,
            timeout=300,
            message="demo.json written by a ready portal (after seeding its past)",
            fatal=(DemoExited,),
        )
        yield running
    finally:
        if running.proc.poll() is None:
            running.proc.send_signal(signal.SIGINT)
            try:
                running.proc.wait(30)
            except subprocess.TimeoutExpired:
                running.proc.kill()
        for leftover in running.descendants():
            leftover.kill()


def logged_in(demo: Demo) -> httpx.Client:
    info = demo.info
    client = httpx.Client(base_url=info["portal_url"], timeout=30)
    answer = client.post("/api/v1/auth/login", json={"contract": info["login"], "password": info["password"]})
    assert answer.status_code == 200, answer.text
    client.headers["Authorization"] = f"Bearer {answer.json()['token']}"
    return client


def test_demo_json_describes_a_ready_portal(demo: Demo) -> None:
    info = demo.info
    assert info["portal_url"] == f"http://127.0.0.1:{demo.port}"
    assert info["login"] and info["password"]
    assert len(info["cameras"]) == 2
    assert httpx.get(f"{info['portal_url']}/healthz").status_code == 200
    key_file = demo.data / "portal-secret-key"  # the demo's own random signing key, kept for restarts
    assert key_file.stat().st_mode & 0o777 == 0o600 and len(key_file.read_text().strip()) >= 32


def test_subscriber_sees_both_cameras_and_downloads_a_clip_that_plays(demo: Demo, tmp_path: Path) -> None:
    client = logged_in(demo)
    cameras = client.get("/api/v1/cameras").json()
    assert {c["id"] for c in cameras} == {c["id"] for c in demo.info["cameras"]}, cameras
    assert all(c["address"] for c in cameras)
    try:
        for camera in demo.info["cameras"]:
            # After the box started (demo.json is written then): before it lies the demo's seeded past.
            start, _ = wait_for_recording(client, camera["id"], CLIP_SECONDS + 4, timeout=240, since=demo.ready_at)
            target = tmp_path / f"{camera['id']}.mp4"
            headers = download(client, camera["id"], start + timedelta(seconds=1), CLIP_SECONDS, target)
            assert headers["content-type"].startswith("video/mp4")
            facts = inspect_clip(target)
            assert abs(facts.seconds - CLIP_SECONDS) <= KEYFRAME_INTERVAL, facts
            assert (facts.width, facts.height) == (640, 360)
    except (AssertionError, TimeoutError) as exc:
        raise AssertionError(f"{exc}\n{demo.logs()}") from exc


def test_wrong_token_is_refused(demo: Demo) -> None:
    base = demo.info["portal_url"]
    assert httpx.get(f"{base}/api/v1/cameras").status_code == 401
    assert httpx.get(f"{base}/api/v1/cameras", headers={"Authorization": "Bearer nope"}).status_code == 401


def browser_login(page, info: dict) -> None:
    """The subscriber's login form, as a person fills it; waits for the camera list."""
    page.goto(f"{info['portal_url']}/login")
    page.fill("#contract", info["login"])
    page.fill("#password", info["password"])
    page.click("#login-form button[type=submit]")
    page.wait_for_selector(".camera-tile")


@pytest.mark.browser
def test_browser_login_shows_both_cameras(demo: Demo, page) -> None:
    info = demo.info
    browser_login(page, info)
    shown = {tile.get_attribute("data-camera") for tile in page.query_selector_all(".camera-tile")}
    assert shown == {c["id"] for c in info["cameras"]}
    assert "Шахтёров 30" in page.content()


@pytest.mark.browser
def test_live_view_plays_in_the_browser_with_hls_js(demo: Demo, page) -> None:
    """The camera page's live view: hls.js (served by the portal) plays the live playlist in Chromium."""
    info = demo.info
    browser_login(page, info)
    camera = info["cameras"][0]["id"]
    # Live video is the box's, recorded after demo.json: until its first segments arrive the newest playable
    # run is the seeded past (320x180). Run alone, this test would otherwise race the box's start.
    wait_for_recording(logged_in(demo), camera, 6, timeout=240, since=demo.ready_at)
    page.goto(f"{info['portal_url']}/cameras/{camera}")
    page.wait_for_function(
        "() => { const v = document.getElementById('player'); return v && v.readyState >= 2 && v.currentTime > 1; }",
        timeout=60_000,
    )
    first = page.evaluate("document.getElementById('player').currentTime")
    page.wait_for_function(f"() => document.getElementById('player').currentTime > {first} + 2", timeout=30_000)
    assert page.evaluate("document.getElementById('player').videoWidth") == 640
    # Live latency: the wall-clock time on screen (hls.js playingDate, from EXT-X-PROGRAM-DATE-TIME) trails
    # now by at most two 6 s segments plus the upload and the player's start-up slack.
    page.wait_for_function("() => !!document.getElementById('player').dataset.playingDate", timeout=30_000)
    latency = page.evaluate(
        "() => (Date.now() - Date.parse(document.getElementById('player').dataset.playingDate)) / 1000"
    )
    assert 0 <= latency <= 2 * SEGMENT_SECONDS + LIVE_SLACK_SECONDS, latency


def test_sigint_stops_every_process(demo: Demo) -> None:
    assert demo.descendants(), "the demo's portal and box processes should be running"
    demo.proc.send_signal(signal.SIGINT)
    assert demo.proc.wait(60) == 0, demo.console()
    wait_until(lambda: not demo.descendants(), timeout=20, message="no process of the demo left")
    assert "Dozor demo stopped." in demo.console()
