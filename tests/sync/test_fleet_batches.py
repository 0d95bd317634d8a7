"""The fleet writer's batches (portal/fleet/consumer.py) on SQLite and PostgreSQL: what one batch stores, and
that its statements do not grow with the number of boxes in it, also for boxes heard from the first time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.exc import OperationalError

from cloud_sync import topics
from cloud_sync.messages import CameraTelemetry, Event, Telemetry
from portal import migrate
from portal.db import Database
from portal.fleet import state
from portal.fleet.broker_config import parse_mqtt_url
from portal.fleet.consumer import FleetConsumer
from portal.fleet.mqtt_session import Received
from portal.fleet.provisioning import add_camera, create_device
from portal.models import Camera, Device, DeviceHealth, utcnow


@pytest.fixture(params=["sqlite", "pg"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'portal.sqlite3'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    database = Database(url)
    migrate.upgrade(database)
    yield database
    database.dispose()


def _boxes(db: Database, prefix: str, count: int) -> list[str]:
    ids = [f"{prefix}-{i:02d}" for i in range(count)]
    for device_id in ids:
        create_device(db, device_id)
        for c in range(2):
            add_camera(db, device_id, f"{device_id}-c{c}", "")
    return ids


def _telemetry(device_id: str, ts, disk_free: int = 5, state: str = "recording") -> Received:
    cams = {f"{device_id}-c{c}": CameraTelemetry(state=state) for c in range(2)}
    msg = Telemetry(disk_total=10, disk_free=disk_free, cameras=cams)
    msg.ts = ts
    return Received(None, 0, 0, 1, topics.telemetry(device_id), msg.to_bytes(), ts)  # type: ignore[arg-type]


def _event(device_id: str, kind: str, ts) -> Received:
    item = Event(type=kind, data={"sensor": "lid"})
    item.ts = ts
    return Received(None, 0, 0, 1, topics.event(device_id, kind), item.to_bytes(), ts)  # type: ignore[arg-type]


def _statements(db: Database, consumer: FleetConsumer, batch: list[Received]) -> int:
    count = [0]

    def counted(*_args: object) -> None:
        count[0] += 1

    event.listen(db.engine, "before_cursor_execute", counted)
    try:
        consumer._apply_batch(batch)
    finally:
        event.remove(db.engine, "before_cursor_execute", counted)
    return count[0]


def test_a_batch_costs_the_same_statements_for_few_or_many_boxes_first_heard_or_not(db: Database) -> None:
    consumer = FleetConsumer(db, parse_mqtt_url("mqtt://u:p@127.0.0.1:1"), client_id="test")
    few, many = _boxes(db, "few", 3), _boxes(db, "many", 30)
    now = utcnow()
    first_few = _statements(db, consumer, [_telemetry(d, now) for d in few])
    first_many = _statements(db, consumer, [_telemetry(d, now) for d in many])
    # Boxes heard before: their health rows exist, cameras already "recording".
    again_few = _statements(db, consumer, [_telemetry(d, now + timedelta(seconds=5), disk_free=4) for d in few])
    again_many = _statements(db, consumer, [_telemetry(d, now + timedelta(seconds=5), disk_free=4) for d in many])
    assert first_many == first_few, (first_few, first_many)
    assert again_many == again_few, (again_few, again_many)
    with db.session() as session:
        health = {h.device_id: h for h in session.scalars(select(DeviceHealth))}
        assert set(health) == set(few) | set(many)
        assert {h.disk_free for h in health.values()} == {4}
        assert {c.state for c in session.scalars(select(Camera))} == {"recording"}
        assert all(d.last_seen is not None for d in session.scalars(select(Device)))


def test_first_telemetry_and_a_tamper_of_a_new_box_in_one_batch_make_one_health_row(db: Database) -> None:
    consumer = FleetConsumer(db, parse_mqtt_url("mqtt://u:p@127.0.0.1:1"), client_id="test")
    (box,) = _boxes(db, "new", 1)
    now = utcnow()
    late = now - timedelta(seconds=30)
    consumer._apply_batch([_event(box, "tamper", now), _telemetry(box, late, 1), _telemetry(box, now, disk_free=7)])
    with db.session() as session:
        (health,) = session.scalars(select(DeviceHealth)).all()
        # The box's last telemetry of a batch is the one applied; the tamper's note survives it.
        assert (health.disk_free, health.last_error.startswith("tamper")) == (7, True)
    consumer._apply_batch([_telemetry(box, late, disk_free=1)])  # an older sample does not overwrite
    with db.session() as session:
        assert session.get(DeviceHealth, box).disk_free == 7


def test_telemetry_keeps_the_last_error_ignores_strangers_and_rejects_only_the_bad_message(db: Database) -> None:
    consumer = FleetConsumer(db, parse_mqtt_url("mqtt://u:p@127.0.0.1:1"), client_id="test")
    mine, other = _boxes(db, "own", 2)
    now = utcnow()

    def sample(device_id: str, at, error: str = "", cameras: dict[str, str] | None = None) -> Received:
        cams = {cid: CameraTelemetry(state=s) for cid, s in (cameras or {}).items()}
        msg = Telemetry(disk_total=10, disk_free=5, cameras=cams, last_error=error)
        msg.ts = at
        return Received(None, 0, 0, 1, topics.telemetry(device_id), msg.to_bytes(), at)  # type: ignore[arg-type]

    bad = Received(None, 0, 0, 1, topics.telemetry(other), b'{"disk_free": "lots"}', now)  # type: ignore[arg-type]
    stranger = sample("not-enrolled", now)
    consumer._apply_batch([sample(mine, now, "cam: 403"), bad, stranger])
    assert consumer.stats.rejected == 1
    # A box may report only its own cameras' states.
    later = now + timedelta(seconds=5)
    consumer._apply_batch([sample(mine, later, cameras={f"{mine}-c0": "down", f"{other}-c0": "down"})])
    with db.session() as session:
        assert {h.device_id for h in session.scalars(select(DeviceHealth))} == {mine}
        health = session.get(DeviceHealth, mine)
        assert (health.last_error, health.last_error_at) == ("cam: 403", now)  # kept: the later sample said none
        assert session.get(Camera, f"{mine}-c0").state == "down"
        assert session.get(Camera, f"{other}-c0").state != "down"
        assert session.get(Device, mine).last_seen == later
    consumer._apply_batch([sample(mine, later + timedelta(seconds=5), "disk: full")])
    with db.session() as session:
        assert session.get(DeviceHealth, mine).last_error == "disk: full"


def test_a_batch_first_locks_its_boxes_in_id_order_so_two_workers_queue_instead_of_deadlocking(
    db: Database,
) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: no row locks to order")
    consumer = FleetConsumer(db, parse_mqtt_url("mqtt://u:p@127.0.0.1:1"), client_id="test")
    boxes = _boxes(db, "lock", 3)
    first: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        first.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        consumer._apply_batch([_event(boxes[2], "button", utcnow()), _telemetry(boxes[0], utcnow())])
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert "FOR NO KEY UPDATE" in first[0] and "ORDER BY devices.id" in first[0], first[0]
    # Another worker's batch holding one of these boxes makes this one wait (here: give up after 100 ms).
    with db.session() as holder:
        state.lock_devices(holder, {boxes[1]})
        with db.session() as waiter:
            waiter.execute(text("SET LOCAL lock_timeout = '100ms'"))
            with pytest.raises(OperationalError, match="lock timeout"):
                state.lock_devices(waiter, set(boxes))
