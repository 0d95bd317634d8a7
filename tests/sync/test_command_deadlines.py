"""Command deadlines: a command the box stored before a crash and recovers after its deadline is not executed;
the portal never publishes a command again once its deadline has passed and tells a waiting caller it expired.

Box side: the real BoxLink and its SQLite store, fed MQTT messages through its own callback (no broker needed:
the crash happens between storing and executing). Portal side: the real CommandSender and FleetConsumer on
Mosquitto, with an observer subscribed to the box's command topics."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from cloud_sync import topics
from cloud_sync.box_link import BoxLink, LinkSettings
from cloud_sync.command_store import CommandStore
from portal import migrate
from portal.db import Database
from portal.fleet import commands as fleet_commands
from portal.fleet.broker_config import parse_mqtt_url
from portal.fleet.commands import CommandSender
from portal.fleet.consumer import FleetConsumer
from portal.fleet.provisioning import create_device
from portal.models import DeviceCommand
from tests.fixtures.ports import wait_until

BOX = "box-deadline"


def _message(name: str, payload: dict) -> mqtt.MQTTMessage:
    message = mqtt.MQTTMessage(topic=topics.command(BOX, name).encode())
    message.payload = json.dumps(payload).encode()
    return message


def _link(state_dir: Path, handlers: dict) -> tuple[BoxLink, list]:
    link = BoxLink(LinkSettings(device_id=BOX, host="127.0.0.1", port=1, password="x"), state_dir, handlers)
    published: list = []
    link._publish_result = lambda name, result: published.append((name, result))  # no broker: keep what it says
    return link, published


def test_a_command_stored_before_a_crash_and_recovered_after_its_deadline_is_not_executed(tmp_path: Path) -> None:
    pulses: list = []
    release = threading.Event()
    before_crash, _ = _link(tmp_path, {"config.set": lambda _a: release.wait(30) and {}, "relay.pulse": pulses.append})
    now = datetime.now(UTC)
    busy = {"request_id": "busy-00001", "args": {"cameras": [{"id": "c1", "recording": True}]}}
    busy["expires_at"] = (now + timedelta(days=1)).isoformat()
    before_crash._on_message(None, None, _message("config.set", busy))
    door = {"request_id": "door-00001", "args": {"relay": "door", "seconds": 1}}
    deadline = now + timedelta(seconds=1)
    before_crash._on_message(None, None, _message("relay.pulse", {**door, "expires_at": deadline.isoformat()}))
    # The power goes: the door command is stored (acknowledged to the broker) but never started.
    before_crash._executor.shutdown(wait=False, cancel_futures=True)
    release.set()
    before_crash._executor.shutdown(wait=True)
    before_crash.store.close()
    assert CommandStore(tmp_path / "commands.sqlite3").get("door-00001").state == "received"
    wait_until(lambda: datetime.now(UTC) > deadline, 10, message="the door command's deadline to pass")

    after, published = _link(tmp_path, {"relay.pulse": pulses.append, "config.set": lambda _a: {}})
    after._resolve_unfinished()
    after._executor.shutdown(wait=True)
    assert pulses == [], "a door pulse recovered after its deadline must not run"
    door_answers = [r for name, r in published if name == "relay.pulse"]
    assert len(door_answers) == 1 and door_answers[0].ok is False
    assert getattr(door_answers[0], "status", None) == "expired", door_answers[0]
    stored = after.store.get("door-00001")
    assert stored.state == "done" and "expired" in stored.error
    after.store.close()


@pytest.fixture
def sender(tmp_path: Path, mosquitto):
    db = Database(f"sqlite:///{tmp_path / 'portal.sqlite3'}")
    migrate.upgrade(db)
    create_device(db, BOX, "the box")
    broker = parse_mqtt_url(f"mqtt://{mosquitto.host}:{mosquitto.port}")
    consumer = FleetConsumer(db, broker, client_id=f"portal-{uuid.uuid4().hex[:6]}").start()
    wait_until(consumer.connected.is_set, 20, message="the portal's MQTT link")
    yield CommandSender(db, consumer)
    consumer.stop()
    db.dispose()


def test_the_portal_does_not_resend_an_expired_command(sender: CommandSender, mosquitto, monkeypatch) -> None:
    seen: list[tuple[str, dict]] = []
    subscribed = threading.Event()
    box = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"box-{uuid.uuid4().hex[:6]}", protocol=mqtt.MQTTv5)
    box.on_message = lambda _c, _u, m: seen.append((m.topic.rsplit("/", 1)[-1], json.loads(m.payload)))
    box.on_subscribe = lambda *_: subscribed.set()
    box.connect(mosquitto.host, mosquitto.port)
    box.loop_start()
    try:
        box.subscribe(f"dozor/v1/{BOX}/cmd/+", qos=1)
        assert subscribed.wait(10)
        door = sender.submit(BOX, "relay.pulse", {"relay": "door", "seconds": 1})
        config = sender.submit(BOX, "config.set", {"cameras": [{"id": "c1", "recording": False}]})
        wait_until(lambda: len(seen) == 2, 20, message="both commands published once")

        # The box never answered; the portal reconnects a minute later (e.g. a broker restart).
        later = datetime.now(UTC) + timedelta(minutes=1)
        monkeypatch.setattr(fleet_commands, "utcnow", lambda: later)
        sender.republish_pending()
        wait_until(lambda: len(seen) == 3, 20, message="the config command published again")
        assert [payload["request_id"] for _, payload in seen].count(door) == 1, "the door command went out again"
        assert seen[2][1]["request_id"] == config
        with sender.db.session() as session:
            assert session.get(DeviceCommand, door).status == "expired"
            assert session.get(DeviceCommand, config).status == "sent"
        answer = sender.wait(door, 0.1)
        assert answer is not None and answer["status"] == "expired" and answer["ok"] is False
    finally:
        box.loop_stop()
        box.disconnect()


def test_a_store_written_by_older_firmware_gains_the_deadline_columns(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "commands.sqlite3"
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE commands (request_id TEXT PRIMARY KEY, name TEXT NOT NULL, args TEXT NOT NULL, state TEXT NOT "
        "NULL, ok INTEGER, result TEXT, error TEXT, received_at TEXT NOT NULL, finished_at TEXT)"
    )
    old.execute(
        "INSERT INTO commands VALUES ('door-old-01', 'relay.pulse', '{\"relay\": \"door\"}', 'received', NULL, NULL, "
        "NULL, '2026-11-01T08:00:00+00:00', NULL)"
    )
    old.commit()
    old.close()
    pulses: list = []
    link, published = _link(tmp_path, {"relay.pulse": pulses.append})
    link._resolve_unfinished()  # no deadline stored: the usual 10 s from when it was received, long past
    link._executor.shutdown(wait=True)
    assert pulses == [] and [r.status for _, r in published] == ["expired"]
    link.store.close()
