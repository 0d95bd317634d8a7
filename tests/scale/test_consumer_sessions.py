"""The consumer's persistent sessions on PostgreSQL + Mosquitto, in-process: two workers split the shared
subscription under stable slot client ids; with every worker stopped the broker keeps the events; a returning
worker takes its old session back and drains the session of the worker that did not return. Each event once."""

import time

import paho.mqtt.client as mqtt
from sqlalchemy import select

from cloud_sync import mqtt_protocol, topics
from cloud_sync.messages import Event
from portal.fleet.broker_config import parse_mqtt_url
from portal.fleet.consumer import DRAIN_QUIET, FleetConsumer
from portal.fleet.mqtt_session import BrokerSession
from portal.models import ConsumerSlot
from tests.fixtures.ports import wait_until
from tests.scale import checks


def _box_client(stack, index: int) -> mqtt.Client:
    creds = stack.boxes[index]
    client = mqtt_protocol.new_client(creds.device_id, "5", persistent=False)
    client.username_pw_set(creds.device_id, creds.mqtt_password)
    client.connect(stack.broker.host, stack.broker.port)
    client.loop_start()
    return client


def _publish_events(client: mqtt.Client, device_id: str, count: int) -> set[tuple[str, str]]:
    sent = set()
    for _ in range(count):
        event = Event(type="button", data={"relay": "door"})
        info = client.publish(topics.event(device_id, "button"), event.to_bytes(), qos=1)
        info.wait_for_publish(10)
        sent.add((device_id, event.id))
    return sent


def _worker(stack) -> FleetConsumer:
    url = parse_mqtt_url(stack.env()["DOZOR_MQTT_URL"])
    consumer = FleetConsumer(stack.db, url, session_expiry=600, adopt_interval=1.0).start()
    assert consumer.subscribed.wait(20), "the broker acknowledged the worker's subscriptions"
    return consumer


def test_sessions_outlive_their_workers_and_dead_ones_are_drained(scale_stack) -> None:
    stack = scale_stack(boxes=2, cameras=1)
    a, b = _worker(stack), _worker(stack)
    assert (a.client_id, b.client_id) == ("portal-0", "portal-1")
    box = _box_client(stack, 0)
    device = stack.boxes[0].device_id
    try:
        sent = _publish_events(box, device, 40)
        wait_until(lambda: set(checks.event_counts(stack.db)) >= sent, 30, message="events while both run")
        assert a.stats.received > 0 and b.stats.received > 0, "the shared subscription split the messages"
        a.stop()
        b.stop()
        sent |= _publish_events(box, device, 40)  # every worker down: the broker keeps these in their sessions
        time.sleep(1)
        assert len(checks.event_counts(stack.db)) == 40
        c = _worker(stack)  # takes slot 0 back; slot 1's worker never returns
        try:
            assert c.client_id == "portal-0"
            wait_until(lambda: set(checks.event_counts(stack.db)) >= sent, 60, message="every event after the return")
            wait_until(lambda: c.stats.adopted == 1, 30, message="slot 1's session drained")
            counts = checks.event_counts(stack.db)
            assert len(counts) == 80 and set(counts.values()) == {1}
            with stack.db.session() as s:
                assert list(s.scalars(select(ConsumerSlot.slot))) == [0]  # slot 1 ended at the broker, forgotten
        finally:
            c.stop()
    finally:
        box.loop_stop()
        box.disconnect()


def test_grafana_dashboard_queries_only_metrics_that_exist() -> None:
    """docs/grafana-dozor.json: importable JSON whose queries name metrics the portal or the box exports."""
    import json
    import re
    from pathlib import Path

    from portal import metrics

    root = Path(__file__).resolve().parents[2]
    dashboard = json.loads((root / "docs" / "grafana-dozor.json").read_text())
    exported = {m._name for m in vars(metrics).values() if hasattr(m, "_name") and hasattr(m, "_type")}
    box = set(re.findall(r'"(dozor_box_[a-z_]+)"', (root / "edge" / "metrics_export.py").read_text()))
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            for name in re.findall(r"\b(dozor_[a-z_]+)", target["expr"]):
                base = re.sub(r"_(bucket|total|count|sum)$", "", name)
                assert base in exported or name in box, f"{panel['title']}: {name} is not exported"


def _leases_take_distinct_slots_and_free_them_on_release(db) -> None:
    from portal.fleet.slots import SlotLeases

    first, second = SlotLeases(db), SlotLeases(db)
    try:
        assert (first.acquire_lowest(), second.acquire_lowest()) == (0, 1)
        assert not second.try_acquire(0)  # held by the other "process"
        first.record(0)
        second.record(1)
        first.close()  # a dead worker: its locks go with its connection / file handles
        assert second.orphans() == [0]  # recorded, unheld: adopted by the survivor
        second.forget(0)
        second.release(0)
        assert second.orphans() == []
    finally:
        first.close()
        second.close()


def test_slot_leases_on_sqlite(tmp_path) -> None:
    from portal import migrate
    from portal.db import Database

    db = Database(f"sqlite:///{tmp_path / 'portal.sqlite3'}")
    migrate.upgrade(db)
    _leases_take_distinct_slots_and_free_them_on_release(db)


def test_slot_leases_on_postgresql(pg_url) -> None:
    from portal import migrate
    from portal.db import Database

    db = Database(pg_url)
    migrate.upgrade(db)
    try:
        _leases_take_distinct_slots_and_free_them_on_release(db)
    finally:
        db.dispose()


def test_a_drain_counts_quiet_from_its_connection_not_its_construction(mosquitto) -> None:
    """A drain ends a dead worker's session once it was quiet DRAIN_QUIET after connecting; counted from the
    session's construction, a slow connect (a loaded host) would end it before the broker sent what it kept."""
    url = parse_mqtt_url(f"mqtt://{mosquitto.host}:{mosquitto.port}")
    session = BrokerSession(url, "drain-quiet-test", lambda _item: None, [], session_expiry=0)
    session.last_message -= DRAIN_QUIET + 0.2  # as if constructing and connecting had taken that long
    session.start()
    try:
        assert session.connected.wait(20)
        assert time.monotonic() - session.last_message < DRAIN_QUIET
    finally:
        session.end()
