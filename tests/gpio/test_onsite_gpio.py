"""GPIO against the running box: tamper → MQTT event on a real Mosquitto; a failing camera → relay cycled."""

from __future__ import annotations

import json
import queue

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from edge.gpio.patterns import BoxState
from tests.fixtures.ports import free_port, wait_until
from tests.techui.conftest import onsite  # noqa: F401 - the fixture

TAMPER, LED, RELAY = 22, 17, 5


def subscribe(host: str, port: int, topic: str) -> tuple[mqtt.Client, queue.Queue]:
    received: queue.Queue = queue.Queue()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="tamper-watcher", protocol=mqtt.MQTTv5)
    client.on_message = lambda _c, _u, message: received.put((message.topic, json.loads(message.payload)))
    subscribed: queue.Queue = queue.Queue()
    client.on_subscribe = lambda *_: subscribed.put(True)
    client.connect(host, port)
    client.loop_start()
    client.subscribe(topic, qos=1)
    subscribed.get(timeout=10)
    return client, received


def test_tamper_switch_publishes_mqtt_event_and_shows_on_led(onsite, mosquitto) -> None:  # noqa: F811
    watcher, received = subscribe(mosquitto.host, mosquitto.port, "dozor/v1/entrance-7/event/#")
    try:
        site = onsite(
            gpio={"tamper_pin": TAMPER, "led_pin": LED},
            portal={"url": f"http://127.0.0.1:{free_port()}", "mqtt_host": mosquitto.host, "mqtt_port": mosquitto.port},
        )
        wait_until(lambda: site.ui.sync.link.connected.is_set(), 30, message="the box's MQTT link")
        site.gpio.pin_factory.pin(TAMPER).drive_low()  # lid opened: the switch closes to ground
        topic, payload = received.get(timeout=20)
        assert topic == "dozor/v1/entrance-7/event/tamper"
        assert payload["type"] == "tamper" and payload["data"]["open"] is True
        wait_until(lambda: site.gpio.led.state == BoxState.TAMPER, 10, message="tamper pattern on the LED")
        site.gpio.pin_factory.pin(TAMPER).drive_high()
        topic, payload = received.get(timeout=20)
        assert payload["data"]["open"] is False
    finally:
        watcher.loop_stop()
        watcher.disconnect()


def test_camera_failing_n_times_gets_its_relay_cycled(onsite) -> None:  # noqa: F811
    dead = f"rtsp://127.0.0.1:{free_port()}/nobody-home"
    site = onsite(
        cameras=[{"id": "porch", "url": dead}],
        gpio={"relays": {"porch": RELAY}, "relay_after_failures": 3, "relay_off_seconds": 0.5},
    )
    relay = site.gpio.pin_factory.pin(RELAY)
    assert relay.state, "cameras are powered while the box runs"
    wait_until(lambda: site.gpio.relays.records["porch"].cycles >= 1, 120, message="an automatic power cycle")
    record = site.gpio.relays.records["porch"]
    assert "неудачных переподключений" in record.last_reason
    assert site.box.status()["cameras"]["porch"]["restarts"] >= 3
    # MockPin history: created low, switched on at start-up, then the cycle: off, on.
    levels = [bool(s.state) for s in relay.states]
    assert levels[-3:] == [True, False, True], f"relay went off and back on: {levels}"
