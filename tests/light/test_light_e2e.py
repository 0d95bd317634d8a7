"""Light live view end to end on real parts (docs/live-light.md): the GStreamer RTSP simulator with a 320x240 main
stream and a 160x90 sub-stream → `dozor edge run` (records the main stream, relays nothing) → Mosquitto → the
portal process. A viewer's fetch of the light playlist makes the portal lease the relay over MQTT, the box PUTs
1 s TS segments of the sub-stream only then, they decode at the sub-stream's size, the box stops when nobody
renews the lease, and nothing of it reaches the archive. Forpost LightStream=1 and 0 give the two streams."""

from __future__ import annotations

import hashlib
import io
import sqlite3
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urljoin

import av
import httpx
import pytest
import yaml
from sqlalchemy import func, select

from cloud_sync.light import LIGHT_CONTENT_TYPE, light_path
from cloud_sync.segments import HEADER_DURATION, HEADER_SHA256
from portal.auth.passwords import hash_password
from portal.auth.sessions import open_session
from portal.fleet.provisioning import add_camera, claim_device, create_device
from portal.models import (
    ArchiveRun,
    ArchiveSegment,
    Camera,
    Contract,
    Device,
    DeviceCommand,
    DeviceHealth,
    Operator,
)
from portal.models.light import LightSegment
from tests.fixtures.ports import wait_until
from tests.sync.stack import BoxProcess, Stack, make_stack

pytestmark = pytest.mark.slow  # simulator, box process, broker and portal end to end

BOX, CAM = "box-l", "cam-l"
OWNER, PASSWORD = "8101", "secret-8101"
STRANGER = "8102"
MAIN, SUB = (320, 240), (160, 90)
LEASE = 10.0  # s: the portal's DOZOR_LIGHT_LEASE_SECONDS here (30 by default)


@pytest.fixture
def world(
    tmp_path_factory: pytest.TempPathFactory, rtsp_camera, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Stack, BoxProcess]]:
    root = tmp_path_factory.mktemp("light-e2e")
    camera = rtsp_camera(width=MAIN[0], height=MAIN[1], sub=SUB)
    stack = make_stack(root, {BOX: [CAM]})
    with stack.db.session() as db:
        for number, owner in ((OWNER, True), (STRANGER, False)):
            contract = Contract(number=number, password_hash=hash_password(PASSWORD), name=number)
            db.add(contract)
            db.flush()
            if owner:
                db.get(Camera, CAM).owner_contract_id = contract.id
    monkeypatch.setenv("DOZOR_LIGHT_LEASE_SECONDS", str(LEASE))
    stack.start_portal()
    box = BoxProcess(root, stack, BOX, [CAM])
    box.config["cameras"] = [{"id": CAM, "url": camera.url(), "sub_url": camera.sub_url(), "segment_seconds": 2}]
    box.config_path.write_text(yaml.safe_dump(box.config))
    box.start()
    try:
        wait_until(lambda: _device(stack).state == "online", 60, message="the box online in the portal")
        yield stack, box
    finally:
        box.stop()
        stack.stop()


def _device(stack: Stack) -> Device:
    with stack.db.session() as db:
        return db.get(Device, BOX)


def _bearer(stack: Stack, number: str) -> dict[str, str]:
    with stack.db.session() as db:
        contract = db.scalar(select(Contract).where(Contract.number == number))
        return {"Authorization": f"Bearer {open_session(db, contract=contract, lifetime=timedelta(hours=1))[0]}"}


def _light_rows(stack: Stack) -> list[tuple[str, int]]:
    with stack.db.session() as db:
        return [tuple(r) for r in db.execute(select(LightSegment.run_id, LightSegment.seq)).all()]  # type: ignore[misc]


def _main_segments(stack: Stack) -> int:
    with stack.db.session() as db:
        return db.scalar(select(func.count()).select_from(ArchiveSegment).where(ArchiveSegment.camera_id == CAM)) or 0


def _light_capable(stack: Stack) -> bool:
    with stack.db.session() as db:
        health = db.get(DeviceHealth, BOX)
        return bool(health and (health.cameras or {}).get(CAM, {}).get("light"))


def _uris(playlist: str) -> list[str]:
    return [line for line in playlist.splitlines() if line and not line.startswith("#")]


def _size_of_ts(data: bytes) -> tuple[int, int]:
    """(width, height) of the first decoded picture of an MPEG-TS segment."""
    with av.open(io.BytesIO(data), format="mpegts") as container:
        frame = next(container.decode(video=0))
        return frame.width, frame.height


def _forpost(stack: Stack, call: str, **params: object) -> Any:
    answer = httpx.post(f"{stack.portal_url}/api/{call}", data={k: str(v) for k, v in params.items()}, timeout=60)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _hls_size(url: str) -> tuple[tuple[int, int], str]:
    """The picture size of a translation playlist's newest segment, and that segment's URI."""
    playlist = httpx.get(url, timeout=30)
    assert playlist.status_code == 200, playlist.text
    uri = _uris(playlist.text)[-1]
    segment = httpx.get(urljoin(url, uri), timeout=30)
    assert segment.status_code == 200, (uri, segment.text[:200])
    return _size_of_ts(segment.content), uri


def _flv_size(url: str) -> tuple[int, int]:
    """(width, height) of the first picture of an HTTP-FLV translation (its first ~40 KB)."""
    data = b""
    with httpx.stream("GET", url, timeout=30) as answer:
        assert answer.status_code == 200 and answer.headers["content-type"] == "video/x-flv"
        for chunk in answer.iter_bytes():
            data += chunk
            if len(data) > 40_000:
                break
    with av.open(io.BytesIO(data), format="flv") as container:
        frame = next(container.decode(video=0))
        return frame.width, frame.height


def test_light_live_relays_only_while_watched_and_never_reaches_the_archive(
    world: tuple[Stack, BoxProcess],
) -> None:
    stack, box = world
    base = f"{stack.portal_url}/api/v1/cameras/{CAM}"
    owner, stranger = _bearer(stack, OWNER), _bearer(stack, STRANGER)
    wait_until(lambda: _light_capable(stack), 60, message="the box reporting the camera's sub-stream")
    wait_until(lambda: _main_segments(stack) >= 2, 60, message="the main stream recorded")

    # Nobody watches: the box records the main stream and relays nothing (watched over 3 more main segments).
    seen = _main_segments(stack)
    wait_until(lambda: _main_segments(stack) >= seen + 3, 60, message="three more main segments")
    assert _light_rows(stack) == []
    with stack.db.session() as db:
        assert db.scalar(select(func.count()).select_from(DeviceCommand).where(DeviceCommand.name == "live.light")) == 0

    # Someone else's camera: refused before anything is asked of the box.
    assert httpx.get(f"{base}/light.m3u8", headers=stranger, timeout=30).status_code == 403
    assert httpx.get(f"{base}/light.m3u8", timeout=30).status_code == 401

    # The owner watches: the first fetch leases the relay and waits for its first segment.
    answer = httpx.get(f"{base}/light.m3u8", headers=owner, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/vnd.apple.mpegurl")
    uri = _uris(answer.text)[-1]
    segment = httpx.get(urljoin(stack.portal_url, uri), timeout=30)  # its media token is enough
    assert segment.status_code == 200 and segment.headers["content-type"] == LIGHT_CONTENT_TYPE
    assert _size_of_ts(segment.content) == SUB
    assert httpx.get(urljoin(stack.portal_url, uri.split("?")[0]), timeout=30).status_code == 401
    assert httpx.get(urljoin(stack.portal_url, uri.split("?")[0]), headers=stranger, timeout=30).status_code == 403

    # Forpost: LightStream=1 (the default) plays the sub-stream, LightStream=0 the main one.
    sid = _forpost(stack, "Login", Login=OWNER, Password=PASSWORD)["SessionID"]
    number = next(c["CameraID"] for c in _forpost(stack, "GetCameras", SessionID=sid, ActiveOnly=0))
    light_url = _forpost(stack, "GetTranslationURL", SessionID=sid, CameraID=number, Format="HLS")["URL"]
    main_url = _forpost(stack, "GetTranslationURL", SessionID=sid, CameraID=number, Format="HLS", LightStream=0)["URL"]
    light_size, light_uri = _hls_size(light_url)
    main_size, main_uri = _hls_size(main_url)
    assert (light_size, main_size) == (SUB, MAIN)
    assert light_uri.startswith("light/") and main_uri.startswith("ts/")
    flv_url = _forpost(stack, "GetTranslationURL", SessionID=sid, CameraID=number)["URL"]  # H264 = HTTP-FLV
    assert _flv_size(flv_url) == SUB

    # A player keeps fetching for three leases: the portal renews the lease, the relay goes on in one run.
    started = time.monotonic()
    while time.monotonic() - started < 3 * LEASE:
        playlist = httpx.get(f"{base}/light.m3u8", headers=owner, timeout=30)
        assert playlist.status_code == 200, playlist.text
        time.sleep(1.0)  # a player's reload interval (the target duration), not a wait for a condition
    rows = _light_rows(stack)
    runs = {run for run, _ in rows}
    assert len(runs) == 1, runs
    assert max(seq for _, seq in rows) >= 2 * LEASE, rows  # more than one lease's worth of 1 s segments

    # Another box cannot write this camera's light stream.
    body = b"\x47" * 188
    refused = httpx.put(
        f"{stack.portal_url}{light_path(CAM, next(iter(runs)), 999)}",
        content=body,
        headers={
            "Authorization": f"Bearer {_other_box_token(stack)}",
            "Content-Type": LIGHT_CONTENT_TYPE,
            HEADER_SHA256: hashlib.sha256(body).hexdigest(),
            HEADER_DURATION: "1.0",
        },
        timeout=30,
    )
    assert refused.status_code == 403, refused.text

    # Nobody fetches any more: the box stops by itself once the lease lapses.
    stopped_fetching = time.monotonic()
    wait_until(
        lambda: "lease lapsed" in box.log(), LEASE + 30, message="the box ending its relay when the lease lapsed"
    )
    # The last renewal went out at most a third of a lease before the last fetch: not before that could lapse.
    assert time.monotonic() - stopped_fetching >= LEASE * 2 / 3 - 1
    after = len(_light_rows(stack))
    seen = _main_segments(stack)
    wait_until(lambda: _main_segments(stack) >= seen + 2, 60, message="two more main segments")
    assert len(_light_rows(stack)) == after  # no light upload after the relay stopped

    # Never recorded twice: the relay's run is in neither the portal's archive nor the box's catalogue.
    with stack.db.session() as db:
        archived_runs = set(db.scalars(select(ArchiveRun.run_id).where(ArchiveRun.camera_id == CAM)))
    assert archived_runs and not (archived_runs & runs)
    catalogue = sqlite3.connect(box.data_dir / "catalogue.sqlite3")
    try:
        box_runs = {r for (r,) in catalogue.execute("SELECT DISTINCT run_id FROM segments")}
    finally:
        catalogue.close()
    assert box_runs and not (box_runs & runs)
    assert not list((box.data_dir / "archive").rglob("*.ts"))

    # Watching again starts a new relay run; «Я дома» (recording paused) ends it at once, lease or not.
    assert httpx.get(f"{base}/light.m3u8", headers=owner, timeout=30).status_code == 200
    paused = _operator_command(stack, {"cameras": [{"id": CAM, "recording": False}]})
    assert paused["ok"] and paused["result"]["paused"] == [CAM], paused
    wait_until(lambda: "ended (stopped" in box.log(), 15, message="the relay stopped by home mode")
    # The box refuses to relay a paused camera; the portal stops listing the old segments once the box reports
    # the camera paused, or at the latest once the newest is stale (lease.FRESH).
    wait_until(lambda: httpx.get(f"{base}/light.m3u8", headers=owner, timeout=30).status_code == 503, 30,
               message="the light playlist refused for a paused camera")  # fmt: skip


def _operator_command(stack: Stack, args: dict[str, Any]) -> dict[str, Any]:
    with stack.db.session() as db:
        who = Operator(login=f"op-{uuid.uuid4().hex[:6]}", password_hash="x", name="test")
        db.add(who)
        db.flush()
        token = open_session(db, operator=who, lifetime=timedelta(hours=1))[0]
    answer = httpx.post(
        f"{stack.portal_url}/api/v1/operator/devices/{BOX}/commands",
        json={"name": "config.set", "args": args, "wait": 30},
        headers={"Authorization": f"Bearer {token}"},
        timeout=45,
    )
    assert answer.status_code == 200 and answer.json()["result"] is not None, answer.text
    return answer.json()["result"]


def _other_box_token(stack: Stack) -> str:
    code = create_device(stack.db, "box-other", "another box")
    creds = claim_device(stack.db, "box-other", code)
    add_camera(stack.db, "box-other", f"cam-other-{uuid.uuid4().hex[:4]}", "its camera")
    return creds.upload_token
