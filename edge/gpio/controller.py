"""Wires the LED, button, tamper switch and relays to the running box (status, events, uplink)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any

from gpiozero.pins import Factory

from edge.gpio.config import GpioConfig, pulse_relay_names
from edge.gpio.led import StatusLed
from edge.gpio.patterns import PATTERNS, BoxState
from edge.gpio.relays import CameraRelays, NoSuchRelay, RelayError
from edge.gpio.state import derive_state
from edge.gpio.switches import ServiceButton, TamperSwitch
from edge.status import BoxStatus

log = logging.getLogger(__name__)

EventSink = Callable[[str, dict[str, Any]], None]


def pin_factory_for(mock: bool) -> Factory | None:
    """MockFactory off the Pi (CI, laptops); None lets gpiozero pick the real driver on the Pi."""
    if not mock:
        return None
    from gpiozero.pins.mock import MockFactory

    return MockFactory()


class GpioController:
    """Owns every GPIO device of the box; refreshes the LED state every `refresh_seconds`."""

    def __init__(
        self,
        config: GpioConfig,
        *,
        status: Callable[[], BoxStatus | Mapping[str, Any] | None],
        uplink: Callable[[], bool | None] = lambda: None,
        publish_event: EventSink | None = None,
        on_identify: Callable[[], None] | None = None,
        on_reset: Callable[[], None] | None = None,
        pin_factory: Factory | None = None,
        refresh_seconds: float = 2.0,
        camera_ids: Collection[str] | None = None,
    ) -> None:
        """`camera_ids`: the box's cameras; a relay named otherwise is a pulse relay (door). None: all are camera
        power relays (a controller built without a box)."""
        self.config = config
        self.pin_factory = pin_factory
        self._status, self._uplink = status, uplink
        self._publish = publish_event
        self._on_identify, self._on_reset = on_identify, on_reset
        self._refresh_seconds = refresh_seconds
        self._booting = True
        self._identify_until = 0.0
        self._restarts_when_healthy: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.led = StatusLed(config.led_pin, pin_factory) if config.led_pin is not None else None
        self.relays = CameraRelays(
            config.relays,
            off_seconds=config.relay_off_seconds,
            after_failures=config.relay_after_failures,
            cooldown_seconds=config.relay_cooldown_seconds,
            pin_factory=pin_factory,
            on_cycle=self._relay_cycled,
            pulse_names=() if camera_ids is None else pulse_relay_names(config, camera_ids),
        )
        for name, record in self.relays.records.items():
            log.info(
                "relay %s on pin %d: %s",
                name,
                record.pin,
                "camera power (normally on)" if record.kind == "camera_power" else "pulse relay (normally off)",
            )
        self.tamper = (
            TamperSwitch(config.tamper_pin, on_change=self._tamper_changed, pin_factory=pin_factory)
            if config.tamper_pin is not None
            else None
        )
        self.button = (
            ServiceButton(
                config.button_pin,
                hold_seconds=config.reset_hold_seconds,
                on_short=self.identify,
                on_hold=self._reset_requested,
                pin_factory=pin_factory,
            )
            if config.button_pin is not None
            else None
        )

    # --- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="gpio-refresh", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        for device in (self.button, self.tamper, self.led, self.relays):
            if device is not None:
                device.close()

    def booted(self) -> None:
        """The box finished starting: the LED leaves the booting pattern on the next refresh."""
        self._booting = False
        self.refresh()

    # --- state ---------------------------------------------------------------------------------------------
    @property
    def tamper_open(self) -> bool:
        return self.tamper.is_open if self.tamper is not None else False

    @property
    def identifying(self) -> bool:
        return time.monotonic() < self._identify_until

    def current_state(self) -> BoxState:
        try:
            raw = self._status()
            status = BoxStatus.of(raw) if raw is not None else None
            uplink = self._uplink()
        except Exception:
            log.exception("box status unavailable for the LED")
            status, uplink = None, None
        if status is not None:
            self._count_failures(status)
        return derive_state(
            status, uplink_up=uplink, tamper_open=self.tamper_open, identifying=self.identifying, booting=self._booting
        )

    def _count_failures(self, status: BoxStatus) -> None:
        """Failed reconnects since the camera last recorded = restarts since then (each restart is an attempt)."""
        for camera in status.cameras.values():
            if not self.relays.has(camera.id):
                continue
            if camera.state == "recording":
                self._restarts_when_healthy[camera.id] = camera.restarts
                self.relays.reset_failures(camera.id)
                continue
            self.relays.note_failures(camera.id, camera.restarts - self._restarts_when_healthy.get(camera.id, 0))

    def refresh(self) -> BoxState:
        state = self.current_state()
        if self.led is not None:
            self.led.show(state)
        return state

    def summary(self) -> dict[str, Any]:
        """For the status page: LED state, tamper and relays."""
        state = self.led.state if self.led is not None else self.current_state()
        return {
            "led_state": state.value,
            "led_label": PATTERNS[state].label,
            "tamper_open": self.tamper_open if self.tamper is not None else None,
            "relays": {cam: vars(rec).copy() for cam, rec in self.relays.records.items()},
        }

    # --- inputs --------------------------------------------------------------------------------------------
    def handle_box_event(self, event_type: str, data: dict[str, Any]) -> None:
        """Box listener: every event refreshes the LED (which also counts failed reconnects for the relays)."""
        camera_id = str(data.get("camera_id") or "")
        failures = data.get("failures")
        if event_type == "camera_down" and camera_id and isinstance(failures, int):
            self.relays.note_failures(camera_id, failures)
        self.refresh()

    def identify(self) -> None:
        """Short button press (or the UI): blink the identify pattern and announce the box."""
        self._identify_until = time.monotonic() + self.config.identify_seconds
        self.refresh()
        self._emit("button", {"action": "identify"})
        if self._on_identify is not None:
            self._on_identify()

    def _reset_requested(self) -> None:
        log.warning("service button held: resetting the technician password and reopening enrolment")
        self._emit("button", {"action": "reset"})
        if self._on_reset is not None:
            self._on_reset()

    def _tamper_changed(self, opened: bool) -> None:
        log.warning("enclosure %s", "opened" if opened else "closed")
        self._emit("tamper", {"open": opened, "at": time.time()})
        self.refresh()

    # --- portal commands (edge.sync through Box) ---------------------------------------------------------
    def power_cycle_camera(self, camera_id: str, reason: str) -> dict[str, Any]:
        """Cut the camera's power for `relay_off_seconds` and restore it; returns once it is back on."""
        if not self.relays.has(camera_id):
            raise NoSuchRelay(f"no relay configured for camera {camera_id!r}")
        try:
            self.relays.power_cycle(camera_id, reason=reason, wait=True)
        except NoSuchRelay:
            raise
        except RelayError as exc:
            raise RelayError(f"the relay of camera {camera_id!r} is switching already") from exc
        record = self.relays.records[camera_id]
        return {
            "camera_id": camera_id,
            "power_cycled": True,
            "relay_pin": record.pin,
            "off_seconds": self.relays.off_seconds,
        }

    def pulse_relay(self, name: str, seconds: float, reason: str) -> dict[str, Any]:
        """Switch relay `name` away from rest for `seconds`; returns once it is back at rest."""
        kind = self.relays.kind(name)
        if kind is None:
            configured = ", ".join(sorted(self.relays.records)) or "none"
            raise NoSuchRelay(f"no relay {name!r} configured on this box (gpio.relays: {configured})")
        try:
            self.relays.pulse(name, seconds, reason=reason, wait=True)
        except NoSuchRelay:
            raise
        except RelayError as exc:
            raise RelayError(f"relay {name!r} is switching already") from exc
        record = self.relays.records[name]
        return {
            "relay": name,
            "kind": kind,
            "pin": record.pin,
            "seconds": seconds,
            "pulsed": True,
            "pulses": record.cycles,
        }

    def _relay_cycled(self, camera_id: str, reason: str) -> None:
        self._emit("power_cycle", {"camera_id": camera_id, "reason": reason, "at": time.time()})

    def _emit(self, event_type: str, data: dict[str, Any]) -> None:
        if self._publish is None:
            return
        try:
            self._publish(event_type, data)
        except Exception:
            log.exception("could not publish %s event", event_type)

    def _loop(self) -> None:
        while not self._stop.wait(self._refresh_seconds):
            self.refresh()
