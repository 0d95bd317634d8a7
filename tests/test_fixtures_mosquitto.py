"""The Mosquitto fixtures: real broker round-trips, passwords, per-device ACL, restart with persistence."""

from __future__ import annotations

import queue

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.reasoncodes import ReasonCode

from tests.fixtures.mosquitto import Mosquitto, _pbkdf2_line, write_acl_file
from tests.fixtures.ports import wait_until

TIMEOUT = 20


class Probe:
    """A paho v2 client that records what happens, so tests can wait for it."""

    def __init__(
        self,
        broker: Mosquitto,
        client_id: str,
        user: str | None = None,
        password: str | None = None,
        clean_start: bool = True,
    ) -> None:
        self.messages: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self.connects: queue.Queue[ReasonCode] = queue.Queue()
        self.subacks: queue.Queue[list[ReasonCode]] = queue.Queue()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        if user:
            self.client.username_pw_set(user, password)
        self.client.on_connect = lambda c, u, flags, rc, props: self.connects.put(rc)
        self.client.on_subscribe = lambda c, u, mid, rcs, props: self.subacks.put(rcs)
        self.client.on_message = lambda c, u, msg: self.messages.put(msg)
        props = mqtt.Properties(mqtt.PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600
        self.client.connect(broker.host, broker.port, clean_start=clean_start, properties=props)
        self.client.loop_start()
        self.connect_rc = self.connects.get(timeout=TIMEOUT)

    def subscribe(self, topic: str, qos: int = 1) -> ReasonCode:
        self.client.subscribe(topic, qos)
        return self.subacks.get(timeout=TIMEOUT)[0]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def probes():
    made: list[Probe] = []

    def make(*args, **kwargs) -> Probe:
        made.append(Probe(*args, **kwargs))
        return made[-1]

    yield make
    for probe in made:
        probe.close()


def test_anonymous_round_trip(mosquitto, probes):
    sub = probes(mosquitto, "sub")
    assert not sub.connect_rc.is_failure
    assert not sub.subscribe("dozor/v1/box1/#").is_failure
    pub = probes(mosquitto, "pub")
    pub.client.publish("dozor/v1/box1/status", b"online", qos=1).wait_for_publish(TIMEOUT)
    msg = sub.messages.get(timeout=TIMEOUT)
    assert (msg.topic, msg.payload) == ("dozor/v1/box1/status", b"online")


def test_password_and_acl(mosquitto_factory, probes):
    broker = mosquitto_factory(users={"a": "pw-a", "b": "pw-b"})
    assert probes(broker, "x", "a", "wrong").connect_rc.is_failure
    a = probes(broker, "a", "a", "pw-a")
    b = probes(broker, "b", "b", "pw-b")
    assert not a.connect_rc.is_failure
    # Mosquitto 2.0 grants the SUBACK for another device's topics but never delivers them (read is denied).
    a.subscribe("dozor/v1/b/#")
    a.subscribe("dozor/v1/a/#")
    b.client.publish("dozor/v1/b/status", b"secret", qos=1).wait_for_publish(TIMEOUT)
    b.client.publish("dozor/v1/a/cmd/reboot", b"forged", qos=1).wait_for_publish(TIMEOUT)  # write denied
    # b's messages were fully handled (PUBACK) before a publishes, so they would arrive first if delivered.
    a.client.publish("dozor/v1/a/status", b"mine", qos=1).wait_for_publish(TIMEOUT)
    assert a.messages.get(timeout=TIMEOUT).payload == b"mine"
    assert a.messages.empty()


def test_python_pbkdf2_password_line_is_accepted(tmp_path, probes):
    (tmp_path / "passwd").write_text(_pbkdf2_line("dev", "secret") + "\n")
    broker = Mosquitto(tmp_path, password_file=tmp_path / "passwd", acl_file=write_acl_file(tmp_path / "acl")).start()
    try:
        assert not probes(broker, "dev", "dev", "secret").connect_rc.is_failure
        assert probes(broker, "dev2", "dev", "nope").connect_rc.is_failure
    finally:
        broker.stop()


def test_restart_same_port_keeps_persistent_session(mosquitto_factory, probes):
    broker = mosquitto_factory()
    port = broker.port
    sub = probes(broker, "keeper", clean_start=False)
    sub.subscribe("dozor/v1/box/cmd/#")
    sub.close()
    broker.restart()
    assert broker.port == port
    pub = probes(broker, "pub")
    pub.client.publish("dozor/v1/box/cmd/ping", b"queued", qos=1).wait_for_publish(TIMEOUT)
    again = probes(broker, "keeper", clean_start=False)
    assert again.messages.get(timeout=TIMEOUT).payload == b"queued"


def test_kill_drops_clients(mosquitto_factory, probes):
    broker = mosquitto_factory()
    client = probes(broker, "c")
    client.client.reconnect_delay_set(60, 60)  # stay down, so is_connected() settles to False
    broker.kill()
    wait_until(lambda: not client.client.is_connected(), TIMEOUT, message="client to notice the broker died")
