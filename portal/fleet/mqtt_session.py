"""One persistent MQTT session of the portal: a paho client under a fixed client id with clean start off and a
session expiry, acknowledging a message only when told to (after the database commit that stored it).

A PUBACK sent before the commit would lose the message if the worker died in between; sent after, the
broker redelivers everything unacknowledged to the session when its client id connects again, and handling is
idempotent (portal/fleet/state.py). Packet ids restart with each connection, so an acknowledgement is sent
only on the connection that received the message (``generation``); the broker redelivers the others anyway.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import paho.mqtt.client as mqtt

from cloud_sync import mqtt_protocol
from portal.fleet.broker_config import BrokerUrl
from portal.models import utcnow

log = logging.getLogger("portal.fleet.session")


@dataclass(frozen=True)
class Received:
    session: "BrokerSession"
    generation: int
    mid: int
    qos: int
    topic: str
    payload: bytes
    received_at: datetime


class BrokerSession:
    def __init__(
        self,
        broker: BrokerUrl,
        client_id: str,
        deliver: Callable[[Received], None],
        subscriptions: list[str],
        session_expiry: int,
        on_connect: Callable[[], None] | None = None,
        on_disconnect: Callable[[], None] | None = None,
    ) -> None:
        self.broker = broker
        self.client_id = client_id
        self.subscriptions = subscriptions  # empty: a drained session (subscriptions kept from before, or dropped)
        self.session_expiry = session_expiry
        self._deliver = deliver
        self._on_connect_hook = on_connect
        self._on_disconnect_hook = on_disconnect
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self.session_present: bool | None = None
        self.generation = 0
        self.last_message = time.monotonic()
        self._pending = 0
        self._lock = threading.Lock()
        self._stopping = False
        self.client = self._make_client()

    def start(self) -> "BrokerSession":
        options = mqtt_protocol.connect_options(
            self.broker.protocol, persistent=True, session_expiry=self.session_expiry
        )
        self.client.connect_async(self.broker.host, self.broker.port, keepalive=30, **options)
        self.client.loop_start()
        return self

    def stop(self) -> None:
        """Disconnect and keep the session: what arrives meanwhile waits at the broker for this client id."""
        if self._stopping:
            return
        self._stopping = True
        self.client.disconnect()
        self.client.loop_stop()

    def end(self) -> None:
        """Disconnect and end the session at the broker (session expiry 0): it leaves the share group for good."""
        self._stopping = True
        if self.broker.protocol == "5":
            self.client.disconnect(properties=mqtt_protocol.end_session_properties())
        else:
            self.client.disconnect()
        self.client.loop_stop()

    def unsubscribe(self, filters: list[str]) -> None:
        self.client.unsubscribe(filters)

    def publish(self, topic: str, payload: bytes, qos: int = 1) -> None:
        self.client.publish(topic, payload, qos=qos)

    def ack(self, item: Received) -> None:
        with self._lock:
            self._pending -= 1
            current = item.generation == self.generation and self.connected.is_set()
        if current and item.qos > 0:
            self.client.ack(item.mid, item.qos)

    @property
    def pending(self) -> int:
        """Messages received and not yet acknowledged (or given up on with the connection that brought them)."""
        with self._lock:
            return self._pending

    # --- paho callbacks (network thread) -------------------------------------------------------------------

    def _make_client(self) -> mqtt.Client:
        client = mqtt_protocol.new_client(self.client_id, self.broker.protocol, persistent=True, manual_ack=True)
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

    def _on_connect(self, client: mqtt.Client, _u, flags, reason_code, _p) -> None:
        if reason_code.is_failure:
            log.error("portal MQTT connect refused (%s): %s", self.client_id, reason_code)
            return
        with self._lock:
            self.generation += 1
        self.session_present = bool(flags.session_present)
        # Quiet is counted from the connection, not from construction: a drain that took long to connect must
        # not end the session before the broker sent what it kept (portal/fleet/consumer.py _drain).
        self.last_message = time.monotonic()
        if self.subscriptions:
            client.subscribe([(t, 1) for t in self.subscriptions])
        else:
            self.subscribed.set()
        self.connected.set()
        if self._on_connect_hook is not None:
            try:
                self._on_connect_hook()
            except Exception:
                log.exception("on-connect hook failed")

    def _on_subscribe(self, _c, _u, _mid, _reason_codes, _p) -> None:
        self.subscribed.set()

    def _on_disconnect(self, _c, _u, _f, reason_code, _p) -> None:
        self.connected.clear()
        self.subscribed.clear()
        if self._on_disconnect_hook is not None:
            self._on_disconnect_hook()
        if not self._stopping:
            log.warning("portal MQTT link lost (%s): %s", self.client_id, reason_code)

    def _on_message(self, _c, _u, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self._pending += 1
            generation = self.generation
        self.last_message = time.monotonic()
        self._deliver(
            Received(self, generation, message.mid, message.qos, message.topic, bytes(message.payload), utcnow())
        )
