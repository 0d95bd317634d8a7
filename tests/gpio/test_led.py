"""The status LED shows one pattern per box state (gpiozero MockFactory, levels read back from the pin)."""

from __future__ import annotations

from typing import Any

import pytest
from gpiozero.pins.mock import MockFactory

from edge.gpio.config import GpioConfig
from edge.gpio.controller import GpioController
from edge.gpio.patterns import PATTERNS, BoxState
from tests.fixtures.ports import wait_until
from tests.gpio.pins import pulses_per_cycle, steps

pytestmark = pytest.mark.slow  # watches whole LED blink cycles

LED, BUTTON, TAMPER = 17, 27, 22

HEALTHY: dict[str, Any] = {"cameras": {"cam1": {"state": "recording"}}, "disk": {"disk_full": False}}


class Scene:
    """A controller whose inputs (box status, uplink) the test sets."""

    def __init__(self) -> None:
        self.factory = MockFactory()
        self.status: dict[str, Any] | None = dict(HEALTHY)
        self.uplink: bool | None = True
        config = GpioConfig(led_pin=LED, button_pin=BUTTON, tamper_pin=TAMPER, identify_seconds=30)
        self.gpio = GpioController(
            config,
            status=lambda: self.status,
            uplink=lambda: self.uplink,
            pin_factory=self.factory,
            refresh_seconds=0.2,
        )
        self.led_pin = self.factory.pin(LED)

    def observe(self, state: BoxState, cycles: int = 2) -> list[tuple[bool, float]]:
        """Wait for the LED to switch to `state`, then record `cycles` full cycles of the pin."""
        wait_until(lambda: self.gpio.led.state == state, 10, message=f"LED state {state}")
        self.led_pin.clear_states()
        needed = cycles * len(PATTERNS[state].steps) + 2
        wait_until(lambda: len(self.led_pin.states) > needed, 30, message=f"{cycles} cycles of {state}")
        return steps(self.led_pin)


@pytest.fixture
def scene() -> Any:
    s = Scene()
    s.gpio.start()
    yield s
    s.gpio.stop()


def test_booting_until_box_is_up(scene: Scene) -> None:
    recorded = scene.observe(BoxState.BOOTING)
    lit = [d for on, d in recorded if on]
    dark = [d for on, d in recorded if not on]
    assert lit and dark and max(lit) < 1.0 and max(dark) < 1.0, "booting is an even blink, no long pause"


def test_all_good_is_mostly_lit(scene: Scene) -> None:
    scene.gpio.booted()
    recorded = scene.observe(BoxState.OK)
    lit = sum(d for on, d in recorded if on)
    dark = sum(d for on, d in recorded if not on)
    assert lit > 3 * dark


@pytest.mark.parametrize(
    ("state", "change"),
    [
        (BoxState.CAMERA_FAULT, lambda s: s.status.update(cameras={"cam1": {"state": "down"}})),
        (BoxState.NO_UPLINK, lambda s: setattr(s, "uplink", False)),
        (BoxState.DISK_PROBLEM, lambda s: s.status.update(disk={"disk_full": True})),
        (BoxState.TAMPER, lambda s: s.factory.pin(TAMPER).drive_low()),
    ],
)
def test_fault_states_blink_their_count(scene: Scene, state: BoxState, change: Any) -> None:
    scene.gpio.booted()
    wait_until(lambda: scene.gpio.led.state == BoxState.OK, 10, message="LED ok")
    change(scene)
    recorded = scene.observe(state, cycles=2)
    assert pulses_per_cycle(recorded) and set(pulses_per_cycle(recorded)) == {PATTERNS[state].pulses()}


def test_more_urgent_state_wins(scene: Scene) -> None:
    scene.gpio.booted()
    scene.uplink = False
    scene.status = {"cameras": [{"id": "cam1", "state": "down"}], "disk": {"disk_full": True}}
    scene.observe(BoxState.DISK_PROBLEM, cycles=1)
    scene.status["disk"] = {"disk_full": False}
    scene.observe(BoxState.CAMERA_FAULT, cycles=1)
    scene.status["cameras"] = [{"id": "cam1", "state": "recording"}]
    scene.observe(BoxState.NO_UPLINK, cycles=1)


def test_button_short_press_identifies_and_announces(scene: Scene) -> None:
    events: list[tuple[str, dict[str, Any]]] = []
    scene.gpio._publish = lambda kind, data: events.append((kind, data))
    announced: list[bool] = []
    scene.gpio._on_identify = lambda: announced.append(True)
    scene.gpio.booted()
    button = scene.factory.pin(BUTTON)
    button.drive_low()
    button.drive_high()
    recorded = scene.observe(BoxState.IDENTIFY)
    assert max(d for on, d in recorded if on) < 0.5
    wait_until(lambda: announced, 5, message="announce callback")
    assert ("button", {"action": "identify"}) in events


def test_button_hold_resets_password(scene: Scene) -> None:
    resets: list[bool] = []
    scene.gpio._on_reset = lambda: resets.append(True)
    scene.gpio.button._button.hold_time = 0.3  # the configured 10 s, shortened for the test
    button = scene.factory.pin(BUTTON)
    button.drive_low()
    wait_until(lambda: resets, 10, message="reset after hold")
    button.drive_high()
    assert scene.gpio.led.state != BoxState.IDENTIFY, "a long hold is not a short press"
