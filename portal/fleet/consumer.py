"""The portal's MQTT link: consumes every box's status, telemetry, events and command results into the
database, and publishes commands. Runs in threads beside the ASGI app (paho's loops + one writer + a janitor).

Scale-out (docs/scale.md): every worker of every portal process joins the MQTT v5 shared subscription
``$share/portal/dozor/v1/+/…`` under a stable client id (a slot, portal/fleet/slots.py) with a persistent session,
so the broker splits the messages between the workers and keeps what arrives while a worker is down. A message
is acknowledged only after the transaction that stored it commits; handlers are idempotent, so a redelivery
changes nothing. A live worker's janitor adopts the sessions of workers that died and drains them.

Messages are written in batches (one transaction per ~0.1 s or 500 messages): fifty boxes' telemetry is a
handful of rows per transaction instead of a transaction per message. Telemetry, most of the traffic, is applied
first and a batch at a time in a few Core statements (portal/fleet/telemetry.py); the other kinds one by one.
"""

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from cloud_sync import topics
from cloud_sync.topics import ParsedTopic
from portal import metrics
from portal.db import Database
from portal.fleet import state
from portal.fleet.broker_config import BrokerUrl
from portal.fleet.handlers import Applied, Batched, Context, EventHook, Handler, default_batched, default_handlers
from portal.fleet.mqtt_session import BrokerSession, Received
from portal.fleet.slots import SlotLeases
from portal.models import utcnow

log = logging.getLogger("portal.fleet.consumer")

BATCH = 500
BATCH_WAIT = 0.1  # the longest a message waits for company: part of every message's lag (docs/scale.md)
DEFAULT_SESSION_EXPIRY = 86_400  # a day: a worker (or all of them) may be down that long without losing messages
ADOPT_INTERVAL = 10.0
DRAIN_QUIET = 1.0  # an adopted session is ended once it has been quiet this long with nothing unacknowledged
DRAIN_LIMIT = 120.0


@dataclass
class ConsumerStats:
    received: int = 0
    applied: int = 0
    rejected: int = 0
    batches: int = 0
    adopted: int = 0  # sessions of dead workers drained by this one


class FleetConsumer:
    def __init__(
        self,
        db: Database,
        broker: BrokerUrl,
        client_id: str | None = None,
        shared: bool = True,
        session_expiry: int = DEFAULT_SESSION_EXPIRY,
        adopt_interval: float = ADOPT_INTERVAL,
        share_group: str = topics.PORTAL_SHARE_GROUP,
    ) -> None:
        """``client_id`` fixes the session's id (tests, benchmarks); without it the worker takes a slot."""
        self.db = db
        self.broker = broker
        self.shared = shared and broker.protocol == "5"  # $share subscriptions are an MQTT v5 feature
        self.session_expiry = session_expiry
        self.adopt_interval = adopt_interval
        self.subscriptions = topics.portal_subscriptions(self.shared, share_group)
        self.client_id = client_id
        self.stats = ConsumerStats()
        self.connected = threading.Event()
        self.subscribed = threading.Event()  # the broker acknowledged the subscriptions of this connection
        self.handlers: dict[str, Handler] = default_handlers()
        self.batched: dict[str, Batched] = default_batched()  # kinds applied a batch at a time (telemetry)
        # Called with (session, device_id, event) for each newly stored event (the notification centre's).
        self.event_hooks: list[EventHook] = []
        self._context = Context(self.event_hooks)
        self._queue: queue.Queue[Received] = queue.Queue(maxsize=100_000)
        self._stop = threading.Event()
        self._waiters: dict[str, threading.Event] = {}
        self._waiters_lock = threading.Lock()
        self._on_connect_hooks: list[Callable[[], object]] = []
        self._leases: SlotLeases | None = None
        self._session: BrokerSession | None = None
        self._threads: list[threading.Thread] = []

    # --- lifecycle ---------------------------------------------------------------------------------------

    def start(self) -> "FleetConsumer":
        if self.client_id is None:
            self._leases = SlotLeases(self.db)
            slot = self._leases.acquire_lowest()
            self._leases.record(slot)
            self.client_id = self._leases.client_id(slot)
        self._session = BrokerSession(
            self.broker,
            self.client_id,
            self._received,
            self.subscriptions,
            self.session_expiry,
            on_connect=self._connected,
            on_disconnect=self._disconnected,
        )
        self._threads = [threading.Thread(target=self._write_loop, name="fleet-writer", daemon=True)]
        if self._leases is not None and self.broker.protocol == "5":
            self._threads.append(threading.Thread(target=self._janitor, name="fleet-janitor", daemon=True))
        for thread in self._threads:
            thread.start()
        self._session.start()
        log.info("portal MQTT consumer %s (persistent session, expiry %d s)", self.client_id, self.session_expiry)
        return self

    def stop(self, end_session: bool = False) -> None:
        """Disconnect keeping the session: what boxes publish until a worker returns waits at the broker.

        ``end_session``: this worker leaves the share group for good (scaling down, a test's extra worker):
        commit what was received, then end the session so the broker queues nothing more for it."""
        session = self._session
        if end_session and session is not None and session.connected.is_set():
            session.unsubscribe(self.subscriptions)
            deadline = time.monotonic() + DRAIN_LIMIT
            while time.monotonic() < deadline and (
                session.pending or time.monotonic() - session.last_message < DRAIN_QUIET
            ):
                time.sleep(0.2)
        self._stop.set()
        for thread in self._threads:
            thread.join(10)  # the writer commits and acknowledges what it holds before the link goes
        if self._session is not None:
            if end_session:
                self._session.end()
            else:
                self._session.stop()
        if self._leases is not None:
            if end_session:
                for slot in self._leases.held():
                    self._leases.forget(slot)
            self._leases.close()

    def on_connect(self, hook: Callable[[], object]) -> None:
        """Run after every (re)connect, in paho's thread (e.g. re-publish unanswered commands)."""
        self._on_connect_hooks.append(hook)

    # --- publishing (any thread) ---------------------------------------------------------------------------

    def publish(self, topic: str, payload: bytes, qos: int = 1) -> None:
        """QoS 1; while the broker is unreachable paho queues the message and sends it on reconnect."""
        if self._session is None:
            raise RuntimeError("the MQTT consumer is not started")
        self._session.publish(topic, payload, qos=qos)

    def waiter(self, request_id: str) -> threading.Event:
        with self._waiters_lock:
            return self._waiters.setdefault(request_id, threading.Event())

    def drop_waiter(self, request_id: str) -> None:
        with self._waiters_lock:
            self._waiters.pop(request_id, None)

    def idle(self) -> bool:
        """Nothing received is still waiting to be written (for tests and benchmarks)."""
        return self._queue.unfinished_tasks == 0

    # --- network threads -----------------------------------------------------------------------------------

    def _connected(self) -> None:
        self.connected.set()
        for hook in self._on_connect_hooks:
            try:
                hook()
            except Exception:
                log.exception("on-connect hook failed")
        threading.Thread(target=self._mirror_subscribed, daemon=True).start()

    def _disconnected(self) -> None:
        self.connected.clear()
        self.subscribed.clear()

    def _mirror_subscribed(self) -> None:
        session = self._session
        if session is not None and session.subscribed.wait(30):
            self.subscribed.set()

    def _received(self, item: Received) -> None:
        self.stats.received += 1
        self._queue.put(item)
        metrics.MQTT_QUEUE.inc()

    # --- writer thread -------------------------------------------------------------------------------------

    def _write_loop(self) -> None:
        while not (self._stop.is_set() and self._queue.empty()):
            batch = self._take_batch()
            if not batch:
                continue
            try:
                answered = self._store(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()
                metrics.MQTT_QUEUE.dec(len(batch))
            self._notify(answered)

    def _store(self, batch: list[Received]) -> list[str]:
        """Commit the batch, then acknowledge it. The database unreachable: retry, never acknowledge unstored."""
        delay = 0.5
        while True:
            started = time.monotonic()
            try:
                answered, lags = self._apply_batch(batch)
                break
            except (OperationalError, InterfaceError):
                if self._stop.is_set():
                    return []  # unacknowledged: the broker keeps them for this session
                log.exception("fleet batch: database unreachable, retrying in %.1f s", delay)
                time.sleep(delay)
                delay = min(delay * 2, 10.0)
            except Exception:
                log.exception("fleet batch failed; applying one by one")
                answered, lags = self._apply_one_by_one(batch)
                break
        metrics.MQTT_BATCH_SECONDS.observe(time.monotonic() - started)
        committed = utcnow()
        for kind, sent_at in lags:
            metrics.MQTT_LAG.labels(kind).observe(max(0.0, (committed - sent_at).total_seconds()))
        for item in batch:
            metrics.MQTT_COMMIT_DELAY.observe(max(0.0, (committed - item.received_at).total_seconds()))
            item.session.ack(item)
        return answered

    def _apply_one_by_one(self, batch: list[Received]) -> tuple[list[str], list[tuple[str, datetime]]]:
        answered: list[str] = []
        lags: list[tuple[str, datetime]] = []
        for item in batch:
            try:
                more, more_lags = self._apply_batch([item])
                answered += more
                lags += more_lags
            except Exception:
                log.exception("dropping unstorable message on %s", item.topic)  # acknowledged: it cannot succeed
        return answered, lags

    def _take_batch(self) -> list[Received]:
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

    def _apply_batch(self, batch: list[Received]) -> tuple[list[str], list[tuple[str, datetime]]]:
        answered: list[str] = []
        lags: list[tuple[str, datetime]] = []
        items = _latest_telemetry_only(batch)
        with self.db.session() as session:
            state.lock_devices(session, {p.device_id for p in map(topics.parse, (i.topic for i in items)) if p})
            rest = self._apply_batched(session, items, lags)
            devices = {p.device_id for p in map(topics.parse, (i.topic for i in rest)) if p is not None}
            held = state.preload(session, devices)  # referenced until the commit (see state.preload)
            for item in rest:
                applied = self._dispatch(session, item.topic, item.payload, item.received_at)
                if applied is None:
                    continue
                if applied.request_id:
                    answered.append(applied.request_id)
                if applied.sent_at is not None:
                    lags.append((topics.parse(item.topic).kind, applied.sent_at))  # type: ignore[union-attr]
            del held
        self.stats.batches += 1
        return answered, lags

    def _apply_batched(
        self, session: Session, items: list[Received], lags: list[tuple[str, datetime]]
    ) -> list[Received]:
        """Apply the batched kinds' messages (parse each, then one call per kind); returns the other messages."""
        groups: dict[str, list[tuple[ParsedTopic, object, datetime]]] = {}
        rest: list[Received] = []
        for item in items:
            parsed = topics.parse(item.topic)
            kind = self.batched.get(parsed.kind) if parsed is not None else None
            if parsed is None or kind is None:
                rest.append(item)
                continue
            try:
                groups.setdefault(parsed.kind, []).append((parsed, kind.parse(item.payload), item.received_at))
            except ValidationError as exc:
                self._rejected(parsed, exc)
        for name, group in groups.items():
            for (parsed, _, _), applied in zip(group, self.batched[name].apply(session, group), strict=True):
                self._counted(parsed, applied)
                if applied.sent_at is not None:
                    lags.append((name, applied.sent_at))
        return rest

    def _apply(self, session: Session, topic: str, payload: bytes, received_at: datetime) -> str | None:
        """Apply one message in ``session``; returns the request id when it was a command result."""
        applied = self._dispatch(session, topic, payload, received_at)
        return applied.request_id if applied is not None else None

    def _dispatch(self, session: Session, topic: str, payload: bytes, received_at: datetime) -> Applied | None:
        parsed = topics.parse(topic)
        handler = self.handlers.get(parsed.kind) if parsed is not None else None
        if parsed is None or handler is None:
            return None
        try:
            applied = handler(session, parsed, payload, received_at, self._context)
        except ValidationError as exc:
            self._rejected(parsed, exc)
            return None
        self._counted(parsed, applied)
        return applied

    def _rejected(self, parsed: ParsedTopic, exc: ValidationError) -> None:
        self.stats.rejected += 1
        log.warning("invalid %s from %s: %s", parsed.kind, parsed.device_id, exc.errors()[:3])

    def _counted(self, parsed: ParsedTopic, applied: Applied) -> None:
        if applied.ok:
            self.stats.applied += 1
            metrics.MQTT_APPLIED.labels(parsed.kind).inc()

    def _notify(self, request_ids: list[str]) -> None:
        with self._waiters_lock:
            for rid in request_ids:
                event = self._waiters.get(rid)
                if event is not None:
                    event.set()

    # --- janitor thread: dead workers' sessions --------------------------------------------------------------

    def _janitor(self) -> None:
        leases = self._leases
        assert leases is not None
        while not self._stop.wait(self.adopt_interval):
            try:
                for slot in leases.held():
                    leases.record(slot)  # last_seen: which sessions are alive, for operators
                for slot in leases.orphans():
                    try:
                        self._drain(leases, slot)
                    finally:
                        leases.release(slot)
            except Exception:
                log.exception("fleet janitor pass failed")

    def _drain(self, leases: SlotLeases, slot: int) -> None:
        """Connect as a dead worker's client id, take what its session kept, then end the session."""
        client_id = leases.client_id(slot)
        session = BrokerSession(self.broker, client_id, self._received, [], self.session_expiry).start()
        drained = False
        try:
            if not session.connected.wait(20):
                log.warning("could not reach the broker to drain %s; next pass", client_id)
                return
            if session.session_present:
                session.unsubscribe(self.subscriptions)  # nothing new joins its queue; what is queued still comes
                deadline = time.monotonic() + DRAIN_LIMIT
                while time.monotonic() < deadline and not self._stop.is_set():
                    if session.pending == 0 and time.monotonic() - session.last_message >= DRAIN_QUIET:
                        break
                    time.sleep(0.2)
                if session.pending:
                    log.warning("draining %s: %d messages still unacknowledged; next pass", client_id, session.pending)
                    return
                drained = True
            session.end()
            leases.forget(slot)
            if drained:  # counted once the slot is forgotten, so a reader of the count sees the slot gone too
                self.stats.adopted += 1
                log.info("drained the session of dead worker %s", client_id)
        finally:
            session.stop()


def _latest_telemetry_only(batch: list[Received]) -> list[Received]:
    """Within one batch only each box's newest telemetry matters (it overwrites the row anyway)."""
    last: dict[str, int] = {}
    for index, item in enumerate(batch):
        if item.topic.endswith("/telemetry"):
            last[item.topic] = index
    return [item for i, item in enumerate(batch) if not item.topic.endswith("/telemetry") or last[item.topic] == i]
