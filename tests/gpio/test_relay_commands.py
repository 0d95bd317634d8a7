"""Relays for the portal's commands, in process on gpiozero's MockFactory (pins readable only here): a door relay
rests low and goes high then low on relay.pulse; a camera relay rests high; missing relays are named in the error;
the service button's press goes out as event/button and a power cycle as event/power_cycle."""

from __future__ import annotations

import json
import queue
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
import pytest
from gpiozero.pins.mock import MockFactory
from paho.mqtt.enums import CallbackAPIVersion

from edge.gpio.config import parse_gpio_config
from edge.gpio.controller import GpioController
from edge.gpio.relays import NoSuchRelay
from tests.fixtures.ports import free_port, wait_until
from tests.techui.conftest import onsite  # noqa: F401 - the fixture

DOOR, CAMERA_RELAY, BUTTON = 17, 5, 27


@pytest.fixture
def controller() -> GpioController:
    config = parse_gpio_config({"relays": {"door": DOOR, "porch": CAMERA_RELAY}, "relay_off_seconds": 0.05})
    events: list[tuple[str, dict]] = []
    gpio = GpioController(
        config,
        status=lambda: None,
        pin_factory=MockFactory(),
        camera_ids=["porch"],
        publish_event=lambda kind, data: events.append((kind, data)),
    )
    gpio.events = events  # type: ignore[attr-defined] - for the assertions
    yield gpio
    gpio.stop()


def test_door_relay_goes_high_then_low_on_pulse(controller: GpioController) -> None:
    pin = controller.pin_factory.pin(DOOR)
    assert pin.state == 0, "a door strike rests released"
    result = controller.pulse_relay("door", 0.05, reason="test")
    assert result == {"relay": "door", "kind": "pulse", "pin": DOOR, "seconds": 0.05, "pulsed": True, "pulses": 1}
    levels = [bool(s.state) for s in pin.states]
    assert levels[-2:] == [True, False], f"energised, then released: {levels}"
    assert pin.state == 0
    assert controller.events == [], "a door pulse is not a camera power cycle"


def test_camera_relay_rests_on_and_power_cycles(controller: GpioController) -> None:
    pin = controller.pin_factory.pin(CAMERA_RELAY)
    assert pin.state == 1, "cameras are powered while the box runs"
    result = controller.power_cycle_camera("porch", reason="команда портала")
    assert result["power_cycled"] is True and result["relay_pin"] == CAMERA_RELAY
    assert [bool(s.state) for s in pin.states][-2:] == [False, True]
    assert [kind for kind, _ in controller.events] == ["power_cycle"]
    assert controller.events[0][1]["camera_id"] == "porch"


def test_missing_relays_are_named(controller: GpioController) -> None:
    with pytest.raises(NoSuchRelay, match="no relay configured for camera 'yard'"):
        controller.power_cycle_camera("yard", reason="test")
    with pytest.raises(NoSuchRelay, match="no relay configured for camera 'door'"):
        controller.power_cycle_camera("door", reason="test")  # a door relay is not camera power
    with pytest.raises(NoSuchRelay, match=r"no relay 'gate' configured on this box \(gpio.relays: door, porch\)"):
        controller.pulse_relay("gate", 1, reason="test")


def test_without_camera_ids_every_relay_is_camera_power() -> None:
    config = parse_gpio_config({"relays": {"door": DOOR}})
    gpio = GpioController(config, status=lambda: None, pin_factory=MockFactory())
    try:
        assert gpio.relays.kind("door") == "camera_power" and gpio.pin_factory.pin(DOOR).state == 1
    finally:
        gpio.stop()


def test_button_press_and_power_cycle_go_out_as_events(onsite, mosquitto) -> None:  # noqa: F811
    received: queue.Queue = queue.Queue()
    subscribed: queue.Queue = queue.Queue()
    watcher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="event-watcher", protocol=mqtt.MQTTv5)
    watcher.on_message = lambda _c, _u, message: received.put((message.topic, json.loads(message.payload)))
    watcher.on_subscribe = lambda *_: subscribed.put(True)
    watcher.connect(mosquitto.host, mosquitto.port)
    watcher.loop_start()
    try:
        watcher.subscribe("dozor/v1/entrance-7/event/#", qos=1)
        subscribed.get(timeout=10)
        site = onsite(
            cameras=[{"id": "porch", "url": "lavfi:testsrc2", "width": 160, "height": 90, "fps": 5}],
            gpio={"button_pin": BUTTON, "relays": {"porch": CAMERA_RELAY}, "relay_off_seconds": 0.05},
            portal={"url": f"http://127.0.0.1:{free_port()}", "mqtt_host": mosquitto.host, "mqtt_port": mosquitto.port},
        )
        wait_until(lambda: site.ui.sync.link.connected.is_set(), 30, message="the box's MQTT link")
        button = site.gpio.pin_factory.pin(BUTTON)
        button.drive_low()  # pressed (to ground)
        button.drive_high()  # released at once: a short press
        assert site.box.power_cycle("porch", reason="команда портала")["power_cycled"] is True
        seen: dict[str, dict] = {}
        while len(seen) < 2:
            topic, payload = received.get(timeout=20)
            seen[topic.rsplit("/", 1)[-1]] = payload
        assert seen["button"]["type"] == "button" and seen["button"]["data"]["action"] == "identify"
        assert seen["power_cycle"]["camera_id"] == "porch"
        assert seen["power_cycle"]["data"]["reason"] == "команда портала"
    finally:
        watcher.loop_stop()
        watcher.disconnect()


def test_an_expired_relay_pulse_never_pulses_and_answers_expired(onsite, mosquitto) -> None:  # noqa: F811
    """A door command that reaches the box after its deadline (queued by the broker, delayed by a slow link) is
    answered `expired` and the door relay never leaves its resting (low) level."""
    results: queue.Queue = queue.Queue()
    subscribed: queue.Queue = queue.Queue()
    portal = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="portal-door", protocol=mqtt.MQTTv5)
    portal.on_message = lambda _c, _u, message: results.put(json.loads(message.payload))
    portal.on_subscribe = lambda *_: subscribed.put(True)
    portal.connect(mosquitto.host, mosquitto.port)
    portal.loop_start()
    try:
        portal.subscribe("dozor/v1/entrance-7/cmd/relay.pulse/result", qos=1)
        subscribed.get(timeout=10)
        site = onsite(
            cameras=[{"id": "porch", "url": "lavfi:testsrc2", "width": 160, "height": 90, "fps": 5}],
            gpio={"relays": {"door": DOOR, "porch": CAMERA_RELAY}},
            portal={"url": f"http://127.0.0.1:{free_port()}", "mqtt_host": mosquitto.host, "mqtt_port": mosquitto.port},
        )
        wait_until(lambda: site.ui.sync.link.connected.is_set(), 30, message="the box's MQTT link")
        door = site.gpio.pin_factory.pin(DOOR)
        before = len(door.states)
        sent = datetime.now(UTC) - timedelta(minutes=5)
        late = {
            "v": 1,
            "ts": sent.isoformat(),
            "request_id": "door-late-0001",
            "args": {"relay": "door", "seconds": 0.05},
            "expires_at": (sent + timedelta(seconds=10)).isoformat(),
        }
        portal.publish("dozor/v1/entrance-7/cmd/relay.pulse", json.dumps(late), qos=1)
        answer = results.get(timeout=20)
        assert answer["request_id"] == "door-late-0001"
        assert answer["ok"] is False and answer.get("status") == "expired", answer
        assert door.state == 0 and not any(s.state for s in door.states[before:]), "the door was never energised"
        assert "pulses" not in answer["result"]
    finally:
        portal.loop_stop()
        portal.disconnect()
