"""Motion end to end on real parts: the GStreamer RTSP simulator with a scripted moving square → `dozor edge run`
(motion switched on by the portal's `config.set` over Mosquitto) → the portal process's ingest: the events API,
thumbnails, Forpost GetEvents and a motion notification; then the same through an uplink outage (portal and
broker unreachable while the motion happens)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import select

from portal.auth.passwords import hash_password
from portal.auth.sessions import open_session
from portal.models import Camera, Contract, ContractEmail, Device, DeviceHealth, Operator
from portal.models.notify import NotifyMessage, NotifySubscription
from tests.fixtures.ports import wait_until
from tests.fixtures.rtsp import RtspCamera
from tests.sync.stack import BoxProcess, Stack, make_stack

pytestmark = pytest.mark.slow  # simulator, box process, broker and portal end to end

BOX, CAM = "box-m", "cam-m"
CONTRACT, PASSWORD = "8001", "secret-8001"
# The simulator's on-screen clock and name (top strip) and its noisy corner (bottom right) are ignored zones.
ZONES = [{"x": 0, "y": 0, "w": 1, "h": 0.15}, {"x": 0.7, "y": 0.7, "w": 0.3, "h": 0.3}]
TOLERANCE = 1.5  # s; a live stream adds its own latency to the detector's ±1 s


@pytest.fixture
def world(tmp_path_factory: pytest.TempPathFactory, rtsp_camera) -> Iterator[tuple[Stack, BoxProcess, RtspCamera]]:
    root = tmp_path_factory.mktemp("motion-e2e")
    camera = rtsp_camera(motion=True)
    stack = make_stack(root, {BOX: [CAM]})
    with stack.db.session() as db:
        contract = Contract(number=CONTRACT, password_hash=hash_password(PASSWORD), name="Сидоров")
        db.add(contract)
        db.flush()
        db.get(Camera, CAM).owner_contract_id = contract.id
        db.add(ContractEmail(contract_id=contract.id, email="sidorov@example.ru"))
        db.add(NotifySubscription(contract_id=contract.id, category="motion", channels="email"))
    stack.start_portal()
    box = BoxProcess(root, stack, BOX, [CAM])
    box.config["cameras"] = [{"id": CAM, "url": camera.url(), "segment_seconds": 2}]  # motion off until config.set
    box.config_path.write_text(yaml.safe_dump(box.config))
    box.start()
    try:
        wait_until(lambda: _device(stack).state == "online", 60, message="the box online in the portal")
        yield stack, box, camera
    finally:
        box.stop()
        stack.stop()


def _device(stack: Stack) -> Device:
    with stack.db.session() as db:
        return db.get(Device, BOX)


def _watching_since(stack: Stack) -> datetime | None:
    """The time of the box's latest telemetry sample when it reports the camera's detector watching."""
    with stack.db.session() as db:
        health = db.get(DeviceHealth, BOX)
        if health is None or ((health.cameras or {}).get(CAM) or {}).get("motion") != "watching":
            return None
        return health.telemetry_at


def _token(stack: Stack, operator: bool = False) -> str:
    with stack.db.session() as db:
        if operator:
            who = Operator(login=f"op-{uuid.uuid4().hex[:6]}", password_hash="x", name="test")
            db.add(who)
            db.flush()
            return open_session(db, operator=who, lifetime=timedelta(hours=1))[0]
        contract = db.scalar(select(Contract).where(Contract.number == CONTRACT))
        return open_session(db, contract=contract, lifetime=timedelta(hours=1))[0]


def _events(stack: Stack, token: str, since: datetime) -> list[dict[str, Any]]:
    answer = httpx.get(
        f"{stack.portal_url}/api/v1/cameras/{CAM}/events",
        params={"from": since.isoformat(), "to": (datetime.now(UTC) + timedelta(minutes=1)).isoformat(),
                "kind": "motion"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    return answer.json()


def _forpost(stack: Stack, call: str, **params: object) -> Any:
    answer = httpx.post(f"{stack.portal_url}/api/{call}", data={k: str(v) for k, v in params.items()}, timeout=60)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _move(camera: RtspCamera, seconds: float) -> tuple[datetime, datetime]:
    """Scripted motion: the square moves for `seconds`; the wall-clock start and end."""
    start = datetime.now(UTC)
    camera.toggle_motion()
    time.sleep(seconds)
    end = datetime.now(UTC)
    camera.toggle_motion()
    return start, end


def _near(value: str, want: datetime) -> bool:
    return abs((datetime.fromisoformat(value.replace("Z", "+00:00")) - want).total_seconds()) <= TOLERANCE


def test_motion_reaches_the_portal_and_forpost_also_after_an_uplink_outage(
    world: tuple[Stack, BoxProcess, RtspCamera],
) -> None:
    stack, box, camera = world
    since = datetime.now(UTC)
    answer = httpx.post(
        f"{stack.portal_url}/api/v1/operator/devices/{BOX}/commands",
        json={"name": "config.set", "args": {"cameras": [{"id": CAM, "motion": {"enabled": True, "zones": ZONES}}]},
              "wait": 30},
        headers={"Authorization": f"Bearer {_token(stack, operator=True)}"},
        timeout=45,
    )  # fmt: skip
    assert answer.status_code == 200 and answer.json()["result"] is not None, answer.text
    # The detector connects to the camera and takes its warm-up frames; the box's telemetry says when it watches.
    watching = wait_until(lambda: _watching_since(stack), 60, message="the box reporting its detector watching")
    # A still scene for a while (a later telemetry sample still watching): nothing must come of it.
    wait_until(lambda: (_watching_since(stack) or watching) > watching, 30, message="a later sample, still watching")
    token = _token(stack)
    assert _events(stack, token, since) == []  # a still scene: nothing

    first = _move(camera, 4)
    events = wait_until(lambda: [e for e in _events(stack, token, since) if e["end"]], 30, message="first event")
    assert len(events) == 1, events
    event = events[0]
    assert event["kind"] == "motion" and _near(event["start"], first[0]) and _near(event["end"], first[1]), (
        event,
        first,
    )
    thumb = httpx.get(f"{stack.portal_url}{event['thumbnail_url']}", timeout=30)  # its media token is enough
    assert (
        thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg" and thumb.content[:2] == b"\xff\xd8"
    )
    assert httpx.get(f"{stack.portal_url}{event['thumbnail_url'].split('?')[0]}", timeout=30).status_code == 401

    sid = _forpost(stack, "Login", Login=CONTRACT, Password=PASSWORD)["SessionID"]
    number = next(c["CameraID"] for c in _forpost(stack, "GetCameras", SessionID=sid, ActiveOnly=0))
    motion = [e for e in _forpost(stack, "GetEvents", SessionID=sid, CameraID=number) if e["Type"] == "motion"]
    assert len(motion) == 1 and motion[0]["EndTime"], motion

    # Uplink outage: portal and broker unreachable while the camera sees motion; the box keeps the event.
    stack.stop_portal()
    stack.broker.stop()
    second = _move(camera, 4)
    time.sleep(4)  # the event ends (hold time) while still offline
    stack.broker.start()
    stack.start_portal()
    events = wait_until(
        lambda: (found := [e for e in _events(stack, token, since) if e["end"]]) and len(found) == 2 and found,
        90,
        message="the event of the outage on the portal",
    )
    assert _near(events[1]["start"], second[0]) and _near(events[1]["end"], second[1]), (events, second)
    motion = [e for e in _forpost(stack, "GetEvents", SessionID=sid, CameraID=number) if e["Type"] == "motion"]
    assert len(motion) == 2, motion

    with stack.db.session() as db:  # the first event notified; the second fell in the 5-minute cooldown
        notices = db.scalars(select(NotifyMessage).where(NotifyMessage.category == "motion")).all()
        assert [n.channel for n in notices] == ["email"]
