"""Store-and-forward upload through the real portal's ingest: auth, checksums, outages, kills, bandwidth.

Real parts: Mosquitto configured from the portal's device table, the portal under uvicorn in its own process,
boxes running `dozor edge run` with synthetic cameras in their own processes.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cloud_sync import segments
from cloud_sync.bandwidth import TokenBucket
from cloud_sync.ingest_client import IngestClient
from cloud_sync.uploader import Uploader
from tests.fixtures.ports import wait_until
from tests.sync.archive_sets import box_segments, portal_runs_with_init, portal_segments, seed_catalogue
from tests.sync.fault_proxy import FaultProxy
from tests.sync.stack import BoxProcess, Stack, make_stack

pytestmark = pytest.mark.slow  # box process, portal and broker end to end

BOXES = {"box-a": ["cam-a1"], "box-b": ["cam-b1"], "box-c": ["cam-c1"]}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = make_stack(tmp_path_factory.mktemp("sync-upload"), BOXES)
    stack.start_portal()
    yield stack
    stack.stop()


@pytest.fixture
def proxy(stack: Stack) -> Iterator[FaultProxy]:
    proxy = FaultProxy(stack.portal_port)
    yield proxy
    proxy.close()


def _in_sync(stack: Stack, box: BoxProcess, cameras: list[str]) -> bool:
    held, pending = box_segments(box.data_dir)
    indexed = portal_segments(stack.db, cameras)
    return pending == 0 and len(held) > 0 and set(indexed) == held and len(indexed) == len(held)


def test_tokens_and_camera_ownership_are_enforced(stack: Stack) -> None:
    body = os.urandom(1000)
    headers = {
        segments.HEADER_SHA256: hashlib.sha256(body).hexdigest(),
        segments.HEADER_START: "2026-11-22T08:00:00.000Z",
        segments.HEADER_DURATION: "1.000",
        segments.HEADER_CLOCK_SYNCED: "1",
        "Content-Type": segments.SEGMENT_CONTENT_TYPE,
    }
    path = stack.portal_url + segments.segment_path("cam-b1", "20261122T080000Z-abcdef", 0)
    token_a = stack.creds["box-a"].upload_token
    other = httpx.put(path, content=body, headers={**headers, "Authorization": f"Bearer {token_a}"})
    assert other.status_code == 403, other.text
    wrong = httpx.put(path, content=body, headers={**headers, "Authorization": "Bearer not-a-token"})
    assert wrong.status_code == 401, wrong.text
    token_b = stack.creds["box-b"].upload_token
    damaged = httpx.put(path, content=body[:-1] + b"\x00", headers={**headers, "Authorization": f"Bearer {token_b}"})
    assert 400 <= damaged.status_code < 500, damaged.text


def test_portal_outage_loses_nothing_and_corrupted_bodies_are_retried(
    stack: Stack, proxy: FaultProxy, tmp_path: Path
) -> None:
    box = BoxProcess(tmp_path, stack, "box-a", ["cam-a1"], portal_url=proxy.url).start()
    try:
        proxy.corrupt_next(2)
        wait_until(lambda: len(portal_segments(stack.db, ["cam-a1"])) >= 3, 90, message="first uploads")
        assert proxy.corrupted == 2
        assert proxy.statuses[400] >= 2, proxy.statuses  # the portal refused the damaged bodies...
        wait_until(lambda: _in_sync(stack, box, ["cam-a1"]), 60, message="box and portal in sync")  # ...and retried

        stack.stop_portal()
        before = len(box_segments(box.data_dir)[0])
        wait_until(lambda: box_segments(box.data_dir)[1] >= 5, 60, message="a backlog while the portal is down")
        assert len(box_segments(box.data_dir)[0]) > before  # recording went on
        stack.start_portal()

        wait_until(lambda: _in_sync(stack, box, ["cam-a1"]), 120, message="backlog drained, index == catalogue")
        held, _ = box_segments(box.data_dir)
        runs = {(c, r) for c, r, _, _ in held}
        assert runs <= portal_runs_with_init(stack.db, ["cam-a1"])  # every run's init segment is there too
    finally:
        box.stop()


def test_upload_killed_mid_body_resumes_without_duplicate(stack: Stack, proxy: FaultProxy, tmp_path: Path) -> None:
    # 24 kbit/s: a segment of a few kB takes about a second on the wire, long enough to be cut mid-body.
    box = BoxProcess(tmp_path, stack, "box-c", ["cam-c1"], portal_url=proxy.url, bandwidth_kbps=24).start()
    try:
        wait_until(
            lambda: proxy.bodies_in_flight() > 0 and proxy.bytes_up > 0,
            90,
            interval=0.02,
            message="a PUT body in flight",
        )
        box.kill()
        # The kill cut that body off; the proxy's relay thread notices the closed socket a moment later.
        wait_until(lambda: proxy.bodies_in_flight() == 0, 10, interval=0.02, message="the cut body ended at the proxy")
        box.set_bandwidth(0)  # at 24 kbit/s the box records faster than it uploads: lift the cap to catch up
        box.start()
        wait_until(lambda: _in_sync(stack, box, ["cam-c1"]), 180, message="resumed and in sync")
        keys = [(c, r, s) for c, r, s, _ in portal_segments(stack.db, ["cam-c1"])]
        assert not [k for k, n in Counter(keys).items() if n > 1]
    finally:
        box.stop()


def test_bandwidth_cap_holds_within_ten_percent_over_30s(stack: Stack, tmp_path: Path) -> None:
    """The box's uploader against the real portal, with a backlog larger than 30 s at the cap."""
    cap_kbps = 400  # 50 kB/s
    catalogue = seed_catalogue(tmp_path / "box", "cam-b1", count=120, size=20_000)
    client = IngestClient(stack.portal_url, stack.creds["box-b"].upload_token, TokenBucket.from_kbps(cap_kbps))
    uploader = Uploader(catalogue, client, concurrency=2).start()
    try:
        wait_until(lambda: uploader.bytes_sent > 40_000, 30, message="uploads under way")
        t0, b0 = time.monotonic(), uploader.bytes_sent
        time.sleep(30)
        t1, b1 = time.monotonic(), uploader.bytes_sent
        assert catalogue.backlog(), "the backlog ran out: the cap was not the limit"
    finally:
        uploader.stop()
        catalogue.close()
    rate_kbps = (b1 - b0) * 8 / 1000 / (t1 - t0)
    print(f"bandwidth cap {cap_kbps} kbit/s, measured {rate_kbps:.1f} kbit/s over {t1 - t0:.1f} s")
    assert abs(rate_kbps - cap_kbps) <= 0.1 * cap_kbps


def test_a_captive_portal_answering_200_gets_nothing_marked_uploaded(
    stack: Stack, proxy: FaultProxy, tmp_path: Path
) -> None:
    """A 200 with an HTML page (captive portal, proxy) is not the portal's receipt: the segments stay pending on the
    box (so eviction keeps them) and go up once the real portal is reachable again."""
    catalogue = seed_catalogue(tmp_path / "box", "cam-b1", count=6, size=2_000, run_id="20261122T070000Z-c0ffee")
    proxy.captive = True
    client = IngestClient(proxy.url, stack.creds["box-b"].upload_token)
    uploader = Uploader(catalogue, client, concurrency=2, max_backoff=0.5).start()  # brisk retries
    try:
        full = {"cam-b1": (6, 12_000)}
        wait_until(
            lambda: proxy.captive_answers >= 10 or catalogue.backlog() != full,
            60,
            message="uploads answered by the captive portal",
        )
        assert catalogue.backlog() == full, "a captive portal's 200 marked segments uploaded"
        assert "receipt" in uploader.stats.last_error, uploader.stats.last_error
        assert not [k for k in portal_segments(stack.db, ["cam-b1"]) if k[1] == "20261122T070000Z-c0ffee"]
        proxy.captive = False  # the box's link reaches the portal again (new connections pass through)
        uploader.wake()
        wait_until(lambda: not catalogue.backlog(), 60, message="the backlog uploaded through the real portal")
        ours = [k for k in portal_segments(stack.db, ["cam-b1"]) if k[1] == "20261122T070000Z-c0ffee"]
        assert len(ours) == 6
    finally:
        uploader.stop()
        catalogue.close()
