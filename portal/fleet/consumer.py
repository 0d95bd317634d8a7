"""The portal's MQTT link: consumes every box's status, telemetry, events and command results into the
database, and publishes commands. Runs in threads beside the ASGI app (paho's loop + one writer).

Messages are written in batches (one transaction per ~0.2 s or 500 messages): fifty boxes' telemetry is a
handful of rows per transaction instead of a transaction per message.
"""

import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import paho.mqtt.client as mqtt
from pydantic import ValidationError
from sqlalchemy.orm import Session

from cloud_sync import mqtt_protocol, topics
from cloud_sync.messages import CommandResult, Event, Status, Telemetry
from portal.db import Database
from portal.fleet import state
from portal.fleet.broker_config import BrokerUrl
from portal.models import utcnow

log = logging.getLogger("portal.fleet.consumer")

BATCH = 500
BATCH_WAIT = 0.2


@dataclass
class ConsumerStats:
    received: int = 0
    applied: int = 0
    rejected: int = 0
    batches: int = 0


class FleetConsumer:
    def __init__(self, db: Database, broker: BrokerUrl, client_id: str | None = None, shared: bool = True) -> None:
        self.db = db
        self.broker = broker
        self.shared = shared and broker.protocol == "5"  # $share subscriptions are an MQTT v5 feature
        self.client_id = client_id or f"portal-{socket.gethostname()}-{os.getpid()}"
        self.stats = ConsumerStats()
        self.connected = threading.Event()
        self.subscribed = threading.Event()  # the broker acknowledged the subscriptions of this connection
        self._queue: queue.Queue[tuple[str, bytes, datetime]] = queue.Queue(maxsize=100_000)
        self._stop = threading.Event()
        self._waiters: dict[str, threading.Event] = {}
        self._waiters_lock = threading.Lock()
        self._on_connect_hooks: list[Callable[[], object]] = []
        # Called with (session, device_id, event) for each newly stored event (the notification centre's).
        self.event_hooks: list[Callable[[Session, str, Event], None]] = []
        self._client = self._make_client()
        self._writer = threading.Thread(target=self._write_loop, name="fleet-writer", daemon=True)

    # --- lifecycle ---------------------------------------------------------------------------------------

    def start(self) -> "FleetConsumer":
        self._writer.start()
        options = mqtt_protocol.connect_options(self.broker.protocol, persistent=False)
        self._client.connect_async(self.broker.host, self.broker.port, keepalive=30, **options)
        self._client.loop_start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._client.disconnect()
        self._client.loop_stop()
        self._writer.join(10)

    def on_connect(self, hook: Callable[[], object]) -> None:
        """Run after every (re)connect, in paho's thread (e.g. re-publish unanswered commands)."""
        self._on_connect_hooks.append(hook)

    # --- publishing (any thread) ---------------------------------------------------------------------------

    def publish(self, topic: str, payload: bytes, qos: int = 1) -> None:
        """QoS 1; while the broker is unreachable paho queues the message and sends it on reconnect."""
        self._client.publish(topic, payload, qos=qos)

    def waiter(self, request_id: str) -> threading.Event:
        with self._waiters_lock:
            return self._waiters.setdefault(request_id, threading.Event())

    def drop_waiter(self, request_id: str) -> None:
        with self._waiters_lock:
            self._waiters.pop(request_id, None)

    def idle(self) -> bool:
        """Nothing received is still waiting to be written (for tests and benchmarks)."""
        return self._queue.unfinished_tasks == 0

    # --- paho callbacks (network thread) -------------------------------------------------------------------

    def _make_client(self) -> mqtt.Client:
        client = mqtt_protocol.new_client(self.client_id, self.broker.protocol, persistent=False)
        if self.broker.username:
            client.username_pw_set(self.broker.username, self.broker.password)
        if self.broker.tls:
            client.tls_set()
        client.reconnect_delay_set(min_delay=1, max_delay=10)
        client.max_queued_messages_set(10_000)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        return client

    def _on_connect(self, client: mqtt.Client, _u, _f, reason_code, _p) -> None:
        if reason_code.is_failure:
            log.error("portal MQTT connect refused: %s", reason_code)
            return
        client.subscribe([(t, 1) for t in topics.portal_subscriptions(self.shared)])
        self.connected.set()
        for hook in self._on_connect_hooks:
            try:
                hook()
            except Exception:
                log.exception("on-connect hook failed")

    def _on_subscribe(self, _c, _u, _mid, _reason_codes, _p) -> None:
        self.subscribed.set()

    def _on_disconnect(self, _c, _u, _f, reason_code, _p) -> None:
        self.connected.clear()
        self.subscribed.clear()
        if not self._stop.is_set():
            log.warning("portal MQTT link lost: %s", reason_code)

    def _on_message(self, _c, _u, message: mqtt.MQTTMessage) -> None:
        self.stats.received += 1
        self._queue.put((message.topic, bytes(message.payload), utcnow()))  # bytes(): no copy of bytes

    # --- writer thread -------------------------------------------------------------------------------------

    def _write_loop(self) -> None:
        while not (self._stop.is_set() and self._queue.empty()):
            batch = self._take_batch()
            if not batch:
                continue
            try:
                answered = self._apply_batch(batch)
            except Exception:
                log.exception("fleet batch failed; applying one by one")
                answered = []
                for item in batch:
                    try:
                        answered += self._apply_batch([item])
                    except Exception:
                        log.exception("dropping undecodable/unstorable message on %s", item[0])
            finally:
                for _ in batch:
                    self._queue.task_done()
            self._notify(answered)

    def _take_batch(self) -> list[tuple[str, bytes, datetime]]:
        try:
            batch = [self._queue.get(timeout=0.5)]
        except queue.Empty:
            return []
        deadline = time.monotonic() + BATCH_WAIT
        while len(batch) < BATCH:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(self._queue.get(timeout=remaining))
            except queue.Empty:
                break
        return batch

    def _apply_batch(self, batch: list[tuple[str, bytes, datetime]]) -> list[str]:
        answered: list[str] = []
        with self.db.session() as session:
            for topic, payload, received_at in _latest_telemetry_only(batch):
                request_id = self._apply(session, topic, payload, received_at)
                if request_id:
                    answered.append(request_id)
        self.stats.batches += 1
        return answered

    def _apply(self, session: Session, topic: str, payload: bytes, received_at: datetime) -> str | None:
        """Apply one message; returns the request id when it was a command result."""
        parsed = topics.parse(topic)
        if parsed is None:
            return None
        try:
            if parsed.kind == "status":
                ok = state.apply_status(session, parsed.device_id, Status.model_validate_json(payload), received_at)
            elif parsed.kind == "telemetry":
                msg = Telemetry.model_validate_json(payload)
                ok = state.apply_telemetry(session, parsed.device_id, msg, received_at)
            elif parsed.kind == "event":
                event = Event.model_validate_json(payload)
                ok = state.store_event(session, parsed.device_id, event, received_at)
                for hook in self.event_hooks if ok else ():
                    hook(session, parsed.device_id, event)
            elif parsed.kind == "cmd_result":
                result = CommandResult.model_validate_json(payload)
                ok = state.apply_result(session, parsed.device_id, result, received_at)
                if ok:
                    self.stats.applied += 1
                    return result.request_id
            else:
                return None
        except ValidationError as exc:
            self.stats.rejected += 1
            log.warning("invalid %s from %s: %s", parsed.kind, parsed.device_id, exc.errors()[:3])
            return None
        if ok:
            self.stats.applied += 1
        return None

    def _notify(self, request_ids: list[str]) -> None:
        with self._waiters_lock:
            for rid in request_ids:
                event = self._waiters.get(rid)
                if event is not None:
                    event.set()


def _latest_telemetry_only(batch: list[tuple[str, bytes, datetime]]) -> list[tuple[str, bytes, datetime]]:
    """Within one batch only each box's newest telemetry matters (it overwrites the row anyway)."""
    last: dict[str, int] = {}
    for index, (topic, _payload, _at) in enumerate(batch):
        if topic.endswith("/telemetry"):
            last[topic] = index
    return [item for i, item in enumerate(batch) if not item[0].endswith("/telemetry") or last[item[0]] == i]
