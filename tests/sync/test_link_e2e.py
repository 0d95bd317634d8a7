"""The MQTT device link through Mosquitto configured by `portal.fleet.broker_config`: ACL isolation between
boxes, status by birth/last will across a broker restart, telemetry into the portal, and commands that run
exactly once even when published while the box is away and delivered again afterwards."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from cloud_sync import topics
from cloud_sync.messages import Command, command_deadline
from portal.auth.sessions import open_session
from portal.models import Device, DeviceCommand, DeviceHealth, Operator
from tests.fixtures.ports import wait_until
from tests.sync.stack import PORTAL_USER, BoxProcess, Stack, make_stack

pytestmark = pytest.mark.slow  # restarts the broker, boxes come and go

BOXES = {"box-a": ["cam-a1"], "box-b": ["cam-b1"]}


class Observer:
    """An MQTT client that records what it receives; persistent session so nothing is missed across restarts."""

    def __init__(self, stack: Stack, username: str, password: str, client_id: str | None = None) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self.suback: list[object] = []
        self.connack: list[object] = []
        self.connected = threading.Event()
        self._subs: list[str] = []
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id or f"obs-{uuid.uuid4().hex[:8]}", protocol=mqtt.MQTTv5
        )
        self.client.username_pw_set(username, password)
        self.client.reconnect_delay_set(0.2, 1)
        self.client.on_message = lambda _c, _u, m: self.messages.append((m.topic, m.payload))
        self.client.on_subscribe = lambda _c, _u, _mid, codes, _p: self.suback.extend(codes)
        self.client.on_connect = self._on_connect
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 300
        self.client.connect(stack.broker.host, stack.broker.port, clean_start=False, properties=props)
        self.client.loop_start()

    def _on_connect(self, client, _u, _f, reason_code, _p) -> None:
        self.connack.append(reason_code)
        if not reason_code.is_failure:
            self.connected.set()

    def subscribe(self, topic: str) -> None:
        self.client.subscribe(topic, qos=1)

    def payloads(self, topic: str) -> list[dict]:
        return [json.loads(p) for t, p in list(self.messages) if t == topic]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = make_stack(tmp_path_factory.mktemp("sync-link"), BOXES)
    stack.start_portal()
    yield stack
    stack.stop()


def _device(stack: Stack, device_id: str) -> Device:
    with stack.db.session() as session:
        return session.get(Device, device_id)


def _operator_token(stack: Stack) -> str:
    with stack.db.session() as session:
        operator = Operator(login=f"op-{uuid.uuid4().hex[:6]}", password_hash="x", name="test")
        session.add(operator)
        session.flush()
        token, _ = open_session(session, operator=operator, lifetime=timedelta(hours=1))
    return token


def test_a_box_cannot_touch_another_box_topics(stack: Stack) -> None:
    a, b = stack.creds["box-a"], stack.creds["box-b"]
    portal = Observer(stack, PORTAL_USER, stack.portal_password)
    box_a = Observer(stack, a.mqtt_username, a.mqtt_password, client_id="box-a")
    box_b = Observer(stack, b.mqtt_username, b.mqtt_password, client_id="box-b")
    wrong = Observer.__new__(Observer)
    try:
        for obs in (portal, box_a, box_b):
            assert obs.connected.wait(10)
        portal.subscribe("dozor/v1/#")
        box_a.subscribe("dozor/v1/box-b/#")  # refused by the ACL
        box_b.subscribe("dozor/v1/box-b/#")
        wait_until(
            lambda: len(portal.suback) == 1 and len(box_a.suback) == 1 and len(box_b.suback) == 1, 10, message="SUBACKs"
        )
        # Mosquitto 2.0 grants a wildcard subscription and applies the ACL to each message it would deliver,
        # so the proof is below: nothing of box-b's ever reaches box-a.
        assert not box_b.suback[0].is_failure

        box_a.client.publish("dozor/v1/box-b/cmd/reboot", b'{"request_id": "intruder0"}', qos=1)  # refused
        box_a.client.publish("dozor/v1/box-a/telemetry", b"{}", qos=1)  # allowed; a barrier after the refused one
        box_b.client.publish("dozor/v1/box-b/event/tamper", b"{}", qos=1)
        wait_until(
            lambda: (
                portal.payloads("dozor/v1/box-a/telemetry")
                and portal.payloads("dozor/v1/box-b/event/tamper")
                and [t for t, _ in box_b.messages if t.endswith("/event/tamper")]
            ),
            10,
            message="allowed publishes to arrive",
        )
        assert not portal.payloads("dozor/v1/box-b/cmd/reboot")
        assert not [t for t, _ in box_b.messages if t.endswith("/cmd/reboot")]
        assert not box_a.messages  # box-b's event did not reach box-a

        wrong = Observer(stack, a.mqtt_username, "not-the-password")
        wait_until(lambda: wrong.connack, 10, message="CONNACK for a wrong password")
        assert wrong.connack[0].is_failure
    finally:
        for obs in (portal, box_a, box_b, wrong):
            if hasattr(obs, "client"):
                obs.close()


def test_broker_restart_will_then_birth_and_command_runs_exactly_once(stack: Stack, tmp_path: Path) -> None:
    observer = Observer(stack, PORTAL_USER, stack.portal_password)
    assert observer.connected.wait(10)
    status_topic = topics.status("box-a")
    observer.subscribe(status_topic)
    box = BoxProcess(tmp_path, stack, "box-a", ["cam-a1"]).start()
    try:
        wait_until(lambda: _device(stack, "box-a").state == "online", 60, message="box-a online in the portal")
        with stack.db.session() as session:
            wait_until(lambda: session.get(DeviceHealth, "box-a") is not None, 30, message="telemetry stored")
        first = _device(stack, "box-a").session

        stack.broker.restart()
        wait_until(
            lambda: any(p["state"] == "online" and p["session"] > first for p in observer.payloads(status_topic)),
            60,
            message="a new birth after the restart",
        )
        seen = [(p["state"], p["session"], p["reason"]) for p in observer.payloads(status_topic)]
        will = seen.index(("offline", first, "will"))
        assert any(s == "online" and n > first for s, n, _ in seen[will:]), seen
        wait_until(
            lambda: _device(stack, "box-a").state == "online" and _device(stack, "box-a").session > first,
            60,
            message="the portal sees the new session online",
        )

        box.kill()  # away: the will marks it offline, and a command must wait for it
        wait_until(lambda: _device(stack, "box-a").state == "offline", 30, message="offline by last will")
        token = _operator_token(stack)
        answer = httpx.post(
            f"{stack.portal_url}/api/v1/operator/devices/box-a/commands",
            json={"name": "ping", "args": {}},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 200, answer.text
        request_id = answer.json()["request_id"]

        box.start()
        wait_until(lambda: _command(stack, request_id).completed_at is not None, 60, message="the command's result")
        assert _command(stack, request_id).status == "done"
        assert box.log().count(f"request {request_id}") == 1

        # Delivered again (as after a lost PUBACK): answered from the box's store, not executed again.
        again = Command(request_id=request_id, args={}, expires_at=command_deadline("ping"))
        observer.client.publish(topics.command("box-a", "ping"), again.to_bytes(), qos=1)
        wait_until(lambda: _command(stack, request_id).replays >= 1, 30, message="a replayed answer")
        assert box.log().count(f"request {request_id}") == 1
    finally:
        box.stop()
        observer.close()


def _command(stack: Stack, request_id: str) -> DeviceCommand:
    with stack.db.session() as session:
        return session.get(DeviceCommand, request_id)
