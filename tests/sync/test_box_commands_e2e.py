"""Box commands end to end on the real stack: a Forpost app or the operator API on the portal process → MQTT
(Mosquitto with the ACL) → `dozor edge run` in its own process (GPIO on gpiozero's MockFactory) → result back.

relay.pulse (door), camera.power_cycle with and without a relay, reboot through a harmless command, and home
mode: config.set with a one-camera patch pauses that camera (persisting across a box restart) and resumes it,
leaving a `home_mode` gap that the portal's timeline shows."""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from portal.archive.timeline import timeline
from portal.auth.passwords import hash_password
from portal.auth.sessions import open_session
from portal.billing import tariffs
from portal.models import Camera, Contract, Device, DeviceCommand, Operator, Tariff
from portal.models.archive import ArchiveGap, ArchiveSegment
from portal.models.devices_state import DeviceEvent
from portal.models.forpost import ControlledDevice, HomeMode
from tests.fixtures.forms import csrf_of
from tests.fixtures.ports import free_port, wait_until
from tests.sync.stack import BoxProcess, Stack, make_stack

pytestmark = pytest.mark.slow  # box process, portal and broker end to end

BOX, HOME_CAM, OTHER_CAM = "box-c", "cam-c1", "cam-c2"
DOOR_PIN, POWER_PIN = 17, 5
CONTRACT, PASSWORD = "7001", "secret-7001"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, BoxProcess, Path]]:
    root = tmp_path_factory.mktemp("box-commands")
    stack = make_stack(root, {BOX: [HOME_CAM, OTHER_CAM]})
    _seed_subscriber(stack)
    marker = root / "rebooted.txt"
    script = root / "fake-reboot.sh"
    script.write_text('#!/bin/sh\necho "reboot requested" >> "$1"\n')
    extra = {
        "gpio": {"relays": {"door": DOOR_PIN, HOME_CAM: POWER_PIN}, "relay_off_seconds": 0.3},
        "technician": {"port": free_port(), "bind": "127.0.0.1", "advertise": False},
        "reboot_command": ["/bin/sh", str(script), str(marker)],
    }
    stack.start_portal()
    box = BoxProcess(root, stack, BOX, [HOME_CAM, OTHER_CAM], extra=extra).start()
    try:
        wait_until(lambda: _device(stack).state == "online", 60, message="the box online in the portal")
        wait_until(
            lambda: _last_start(stack, HOME_CAM) is not None and _last_start(stack, OTHER_CAM) is not None,
            90,
            message="both cameras uploading",
        )
        yield stack, box, marker
    finally:
        box.stop()
        stack.stop()


def _seed_subscriber(stack: Stack) -> None:
    """Contract 7001 owns cam-c1 (home mode is for private cameras) with a door and an unwired gate relay."""
    with stack.db.session() as db:
        contract = Contract(number=CONTRACT, password_hash=hash_password(PASSWORD), name="Петров")
        db.add(contract)
        db.flush()
        db.get(Camera, HOME_CAM).owner_contract_id = contract.id
        db.add_all(
            [
                ControlledDevice(
                    id=1,
                    camera_id=HOME_CAM,
                    name="Дверь",
                    kind="door",
                    command="relay.pulse",
                    args_json=json.dumps({"relay": "door", "seconds": 0.3}),
                ),
                ControlledDevice(
                    id=2,
                    camera_id=HOME_CAM,
                    name="Калитка",
                    kind="door",
                    command="relay.pulse",
                    args_json=json.dumps({"relay": "gate", "seconds": 0.3}),
                ),
            ]
        )


def _forpost(stack: Stack, call: str, **params: object) -> Any:
    answer = httpx.post(f"{stack.portal_url}/api/{call}", data={k: str(v) for k, v in params.items()}, timeout=60)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _forpost_session(stack: Stack) -> tuple[str, int]:
    sid = _forpost(stack, "Login", Login=CONTRACT, Password=PASSWORD)["SessionID"]
    cameras = _forpost(stack, "GetCameras", SessionID=sid, ActiveOnly=0)
    return sid, next(c["CameraID"] for c in cameras if c["Name"] == f"camera {HOME_CAM}")


def _operator(stack: Stack, name: str, args: dict[str, Any], wait: float = 30) -> dict[str, Any]:
    with stack.db.session() as session:
        operator = Operator(login=f"op-{uuid.uuid4().hex[:6]}", password_hash="x", name="test")
        session.add(operator)
        session.flush()
        token, _ = open_session(session, operator=operator, lifetime=timedelta(hours=1))
    answer = httpx.post(
        f"{stack.portal_url}/api/v1/operator/devices/{BOX}/commands",
        json={"name": name, "args": args, "wait": wait},
        headers={"Authorization": f"Bearer {token}"},
        timeout=wait + 10,
    )
    assert answer.status_code == 200, answer.text
    result = answer.json()["result"]
    assert result is not None, f"{name}: no answer from the box within {wait} s"
    with stack.db.session() as session:
        assert session.get(DeviceCommand, answer.json()["request_id"]).sent_by == f"operator:{operator.login}"
    return result


def _device(stack: Stack) -> Device:
    with stack.db.session() as session:
        return session.get(Device, BOX)


def _last_command(stack: Stack, name: str) -> DeviceCommand:
    with stack.db.session() as session:
        return session.scalars(
            select(DeviceCommand).where(DeviceCommand.name == name).order_by(DeviceCommand.created_at.desc())
        ).first()


def _last_start(stack: Stack, camera_id: str) -> datetime | None:
    with stack.db.session() as session:
        return session.scalar(select(func.max(ArchiveSegment.start)).where(ArchiveSegment.camera_id == camera_id))


def _uploaded_since(stack: Stack, camera_id: str, since: datetime) -> bool:
    last = _last_start(stack, camera_id)
    return last is not None and last > since


def test_forpost_door_relay_pulse_reports_the_box_result(world: tuple[Stack, BoxProcess, Path]) -> None:
    stack, box, _ = world
    sid, number = _forpost_session(stack)
    assert _forpost(stack, "CallControlledDevice", SessionID=sid, CameraID=number, ControlledDeviceID=1) == {
        "Result": 1
    }
    command = _last_command(stack, "relay.pulse")
    assert command.args == {"camera_id": HOME_CAM, "relay": "door", "seconds": 0.3}
    assert command.sent_by == f"contract:{CONTRACT}"  # who opened the door, in the box's command log
    result = command.result["result"]
    assert command.result["ok"] is True
    assert result["relay"] == "door" and result["pin"] == DOOR_PIN and result["kind"] == "pulse"
    assert result["pulsed"] is True and result["pulses"] == 1
    assert "relay door pulsed for 0.3 s (pin 17)" in box.log()

    refused = _forpost(stack, "CallControlledDevice", SessionID=sid, CameraID=number, ControlledDeviceID=2)
    assert refused["Result"] == 0 and "no relay 'gate' configured" in refused["Error"], refused


def test_power_cycle_with_a_relay_and_without(world: tuple[Stack, BoxProcess, Path]) -> None:
    stack, box, _ = world
    cycled = _operator(stack, "camera.power_cycle", {"camera_id": HOME_CAM})
    assert cycled["ok"] is True, cycled
    assert cycled["result"]["power_cycled"] is True and cycled["result"]["relay_pin"] == POWER_PIN
    assert "power-cycling camera cam-c1" in box.log()

    def power_cycle_event() -> DeviceEvent | None:
        with stack.db.session() as session:
            return session.scalars(select(DeviceEvent).where(DeviceEvent.type == "power_cycle")).first()

    wait_until(lambda: power_cycle_event() is not None, 30, message="event/power_cycle stored by the portal")
    event = power_cycle_event()
    assert event.camera_id == HOME_CAM and event.data["reason"] == "команда портала"

    refused = _operator(stack, "camera.power_cycle", {"camera_id": OTHER_CAM})
    assert refused["ok"] is False and refused["error"] == f"no relay configured for camera {OTHER_CAM!r}", refused


def test_reboot_runs_the_configured_command(world: tuple[Stack, BoxProcess, Path]) -> None:
    stack, _, marker = world
    answer = _operator(stack, "reboot", {})
    assert answer["ok"] is True and answer["result"]["rebooting_in_s"] == 2, answer
    wait_until(marker.exists, 30, message="the reboot command's marker file")
    assert marker.read_text() == "reboot requested\n"


def test_home_mode_pauses_a_camera_across_a_restart_and_resumes(world: tuple[Stack, BoxProcess, Path]) -> None:
    stack, box, _ = world
    sid, number = _forpost_session(stack)
    assert _forpost(stack, "EnableHomeMode", SessionID=sid, CameraID=number, Enable=1) == {"Result": 1}
    paused_at = datetime.now(UTC)
    with stack.db.session() as session:
        assert session.get(HomeMode, HOME_CAM).box_result == "ok"
    command = _last_command(stack, "config.set")
    assert command.args == {"cameras": [{"id": HOME_CAM, "recording": False}]}
    assert command.result["result"]["paused"] == [HOME_CAM]

    # The other camera goes on; the paused one has nothing newer than the pause (its in-flight segment at most).
    wait_until(
        lambda: _uploaded_since(stack, OTHER_CAM, paused_at + timedelta(seconds=4)),
        60,
        message="the other camera still uploading",
    )
    assert not _uploaded_since(stack, HOME_CAM, paused_at), "the paused camera kept recording"

    box.stop()  # the pause is in the box's state, not in its config file
    restarted_at = datetime.now(UTC)
    box.start()
    wait_until(
        lambda: _uploaded_since(stack, OTHER_CAM, restarted_at + timedelta(seconds=2)),
        90,
        message="the other camera recording after the restart",
    )
    assert not _uploaded_since(stack, HOME_CAM, paused_at), "the pause did not survive the restart"
    state = json.loads((box.data_dir / "state.json").read_text())
    assert HOME_CAM in json.dumps(state["box"]), state

    assert _forpost(stack, "EnableHomeMode", SessionID=sid, CameraID=number, Enable=0) == {"Result": 1}
    resumed_at = datetime.now(UTC)
    wait_until(lambda: _uploaded_since(stack, HOME_CAM, resumed_at), 60, message="the camera recording again")

    def home_gap() -> ArchiveGap | None:
        with stack.db.session() as session:
            return session.scalars(
                select(ArchiveGap).where(ArchiveGap.camera_id == HOME_CAM, ArchiveGap.reason == "home_mode")
            ).first()

    wait_until(lambda: home_gap() is not None, 60, message="the home_mode gap reported to the portal")
    gap = home_gap()
    # Segment times are media time anchored to the wall clock once per run (docs/edge.md), up to about a second
    # off the moment the box acted on the command: the gap starts at the paused camera's last segment end.
    slack = timedelta(seconds=2)
    assert gap.start <= paused_at + slack and resumed_at - slack <= gap.end, (gap.start, gap.end)
    with stack.db.session() as session:
        other_reasons = set(session.scalars(select(ArchiveGap.reason).where(ArchiveGap.camera_id == HOME_CAM)))
        shown = timeline(session, HOME_CAM, paused_at - timedelta(minutes=5), datetime.now(UTC))
    assert "box_down" not in other_reasons, "the restart during home mode must not show as an outage"
    home = [g for g in shown.gaps if g.reason == "home_mode"]
    assert home and home[0].start <= paused_at + slack and resumed_at - slack <= home[0].end, shown.gaps


def test_a_door_call_while_the_box_is_away_expires_and_never_opens_later(world: tuple[Stack, BoxProcess, Path]) -> None:
    """Last in this module: it kills the box (a box_down gap the home-mode test must not see).

    The box is down when a subscriber calls the door: Forpost answers that the command was cancelled; when the
    box comes back the broker delivers the queued command, and the box answers `expired` without pulsing."""
    stack, box, _ = world
    sid, number = _forpost_session(stack)
    pulses_before = box.log().count("relay door pulsed")
    box.kill()
    wait_until(lambda: _device(stack).state == "offline", 30, message="the box offline by its last will")
    answer = _forpost(stack, "CallControlledDevice", SessionID=sid, CameraID=number, ControlledDeviceID=1)
    assert answer == {"Result": 0, "Error": "Устройство не ответило вовремя, команда отменена"}, answer
    command = _last_command(stack, "relay.pulse")
    assert command.status == "expired" and command.completed_at is None  # still open for the box's own word
    request_id = command.request_id

    box.start()
    wait_until(lambda: _device(stack).state == "online", 60, message="the box back online")

    def box_answer() -> dict | None:
        with stack.db.session() as session:
            return session.get(DeviceCommand, request_id).result

    wait_until(lambda: box_answer() is not None, 60, message="the box's answer to the queued door command")
    assert box_answer()["status"] == "expired" and box_answer()["ok"] is False
    assert f"request {request_id} expired" in box.log()
    assert box.log().count("relay door pulsed") == pulses_before, "the door opened after its deadline"


def test_a_deeper_tariff_reaches_the_box_as_its_retention(world: tuple[Stack, BoxProcess, Path]) -> None:
    """Billing → edge: the subscriber switches to a 30-day tariff over the JSON API; the portal keeps the camera
    30 days and sends the box `config.set {"retention_days": 30}`; the box applies and persists it."""
    stack, box, _ = world
    with stack.db.session() as session:
        contract = session.scalar(select(Contract).where(Contract.number == CONTRACT))
        week = Tariff(name="Неделя", monthly_price_kopecks=15000, archive_days=7, description="")
        month = Tariff(name="Месяц", monthly_price_kopecks=45000, archive_days=30, description="")
        session.add_all([week, month])
        session.flush()
        tariffs.assign(session, contract.id, week.id, date.today())
        month_id = month.id
        token, _ = open_session(session, contract=contract, lifetime=timedelta(hours=1))
    answer = httpx.post(
        f"{stack.portal_url}/api/v1/billing/tariff",
        json={"tariff_id": month_id},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text

    def told() -> DeviceCommand | None:
        command = _last_command(stack, "config.set")
        return command if command is not None and (command.args or {}).get("retention_days") == 30 else None

    wait_until(lambda: told() is not None and told().result is not None, 60, message="config.set retention 30")
    command = told()
    assert command.result["result"]["retention_days"] == 30, command.result  # the box's answer: applied
    assert command.sent_by == "billing"
    with stack.db.session() as session:
        assert session.get(Camera, HOME_CAM).retention_days == 30
    state = json.loads((box.data_dir / "state.json").read_text())
    assert {"key": "retention", "days": 30} in state["box"].values(), state["box"]  # persisted across restarts


def test_operator_console_snapshot_shows_the_cameras_frame(world: tuple[Stack, BoxProcess, Path]) -> None:
    """The box's page in the operator console: log in through the form, send «Снимок с камеры» for a camera,
    and once the box has answered the page shows the frame it grabbed from the RTSP camera, as a JPEG."""
    stack, _, _ = world
    login, password = f"op-{uuid.uuid4().hex[:6]}", "console-secret-1"
    with stack.db.session() as session:
        session.add(Operator(login=login, password_hash=hash_password(password), name="Оператор"))
    with httpx.Client(base_url=stack.portal_url, timeout=30) as browser:
        form = browser.get("/operator/login")
        signed_in = browser.post(
            "/operator/login",
            data={"csrf": csrf_of(form.text), "login": login, "password": password, "next": "/operator/fleet"},
        )
        assert signed_in.status_code == 303, signed_in.text
        page = browser.get(f"/operator/fleet/{BOX}")
        assert page.status_code == 200 and f'<tr data-camera="{OTHER_CAM}">' in page.text
        sent = browser.post(
            f"/operator/fleet/{BOX}/commands",
            data={"csrf": csrf_of(page.text), "name": "snapshot", "camera_id": OTHER_CAM},
        )
        assert sent.status_code == 303, sent.text
        request_id = sent.headers["location"].split("sent=")[1].split("#")[0]

        def answered() -> bool:
            with stack.db.session() as session:
                command = session.get(DeviceCommand, request_id)
                return command is not None and command.completed_at is not None

        wait_until(answered, 60, message="the box's answer to the console's snapshot")
        with stack.db.session() as session:
            assert session.get(DeviceCommand, request_id).sent_by == f"operator:{login}"
        html = browser.get(f"/operator/fleet/{BOX}").text
    start = html.index(f'data-request="{request_id}"')
    row = html[start : html.index("</tr>", start)]
    assert row.startswith(f'data-request="{request_id}" data-status="done"'), row[:200]
    assert f'<td class="sent-by">оператор {login}</td>' in row
    found = re.search(r'<img class="snapshot"[^>]*src="data:image/jpeg;base64,([^"]+)"', row)
    assert found, row[:500]
    jpeg = base64.b64decode(found.group(1))
    assert jpeg[:3] == b"\xff\xd8\xff" and len(jpeg) > 1000  # a real frame, not an empty answer
