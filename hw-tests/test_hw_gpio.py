"""GPIO wiring: the LED and relays drive their pins, the button and tamper inputs read their idle levels."""

from __future__ import annotations

import os
import time

import pytest
from gpiozero import LED, OutputDevice

from edge.gpio.config import pulse_relay_names
from edge.gpio.switches import ServiceButton, TamperSwitch


def test_led_pin_drives(hw) -> None:
    if hw.gpio.led_pin is None:
        pytest.skip("gpio.led_pin is not configured")
    led = LED(hw.gpio.led_pin, pin_factory=hw.pin_factory)
    try:
        led.on()
        assert led.pin.state == 1, f"LED pin {hw.gpio.led_pin} did not go high"
        led.off()
        assert led.pin.state == 0, f"LED pin {hw.gpio.led_pin} did not go low"
    finally:
        led.close()


def test_service_button_idle_and_press(hw) -> None:
    if hw.gpio.button_pin is None:
        pytest.skip("gpio.button_pin is not configured")
    pressed: list[str] = []
    button = ServiceButton(
        hw.gpio.button_pin,
        hold_seconds=60,
        on_short=lambda: pressed.append("short"),
        on_hold=lambda: pressed.append("hold"),
        pin_factory=hw.pin_factory,
    )
    try:
        pin = hw.pin_factory.pin(hw.gpio.button_pin)
        assert pin.state == 1, f"button pin {hw.gpio.button_pin} reads pressed at rest: check for a short to ground"
        if hw.mock:
            pin.drive_low()
            pin.drive_high()
            deadline = time.monotonic() + 5
            while not pressed and time.monotonic() < deadline:
                time.sleep(0.05)
            assert pressed == ["short"], "a press and release was not seen as a short press"
    finally:
        button.close()


def test_tamper_switch_reads_closed_lid(hw) -> None:
    if hw.gpio.tamper_pin is None:
        pytest.skip("gpio.tamper_pin is not configured")
    changes: list[bool] = []
    switch = TamperSwitch(hw.gpio.tamper_pin, on_change=changes.append, pin_factory=hw.pin_factory)
    try:
        assert not switch.is_open, "the enclosure reads OPEN: close the lid or check the tamper switch wiring"
        if hw.mock:
            hw.pin_factory.pin(hw.gpio.tamper_pin).drive_low()
            assert switch.is_open
            hw.pin_factory.pin(hw.gpio.tamper_pin).drive_high()
    finally:
        switch.close()


def _relays(hw, door: bool) -> dict[str, int]:
    """Camera power relays are named after a configured camera; any other name is a door relay."""
    doors = set(pulse_relay_names(hw.gpio, [c.id for c in hw.config.cameras]))
    return {name: pin for name, pin in hw.gpio.relays.items() if (name in doors) == door}


def test_camera_power_relays_switch_off_and_on(hw) -> None:
    relays = _relays(hw, door=False)
    if not relays:
        pytest.skip("no camera power relays configured (gpio.relays named after cameras)")
    for camera_id, pin_number in relays.items():
        relay = OutputDevice(pin_number, initial_value=True, pin_factory=hw.pin_factory)
        try:
            assert relay.pin.state == 1, f"relay of {camera_id} (pin {pin_number}) is not powering the camera"
            relay.off()
            assert relay.pin.state == 0
        finally:
            relay.on()
            relay.close()


def test_door_relays_pulse(hw) -> None:
    """A door relay is normally off; pulsing it opens the door, so on the box it runs only when asked for."""
    relays = _relays(hw, door=True)
    if not relays:
        pytest.skip("no door relays configured")
    if not hw.mock and os.environ.get("DOZOR_HW_TEST_DOORS") != "1":
        pytest.skip("pulsing a door relay opens the door: set DOZOR_HW_TEST_DOORS=1 with the door attended")
    for name, pin_number in relays.items():
        relay = OutputDevice(pin_number, initial_value=False, pin_factory=hw.pin_factory)
        try:
            assert relay.pin.state == 0, f"door relay {name} (pin {pin_number}) is energised at rest"
            relay.on()
            assert relay.pin.state == 1
        finally:
            relay.off()
            relay.close()
