"""Relays of the box: camera power relays (normally on; cut for a few seconds, on command or after repeated
failures) and pulse relays such as a door strike (normally off; energised for a few seconds on command)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Literal

from gpiozero import OutputDevice
from gpiozero.pins import Factory

log = logging.getLogger(__name__)


RelayKind = Literal["camera_power", "pulse"]


class RelayError(LookupError):
    """No relay is wired for this camera, or it is busy cycling."""


class NoSuchRelay(RelayError):
    """No relay of that name (or of that kind) is configured."""


@dataclass
class RelayRecord:
    """What the status page shows per relay."""

    pin: int
    kind: RelayKind = "camera_power"
    cycles: int = 0  # power cycles of a camera relay, pulses of a pulse relay
    cycling: bool = False
    last_cycle_at: float | None = None  # unix time
    last_reason: str = ""
    failures_at_last_cycle: int = 0
    history: list[tuple[float, str]] = field(default_factory=list)


class CameraRelays:
    """Named relays. A camera power relay rests on and `power_cycle` switches it off, waits, switches it back on;
    a pulse relay (name in `pulse_names`, e.g. the door) rests off and `pulse` energises it for a few seconds."""

    def __init__(
        self,
        pins: dict[str, int],
        *,
        off_seconds: float,
        after_failures: int,
        cooldown_seconds: float,
        pin_factory: Factory | None = None,
        on_cycle: Callable[[str, str], None] | None = None,
        pulse_names: Collection[str] = (),
    ) -> None:
        self.off_seconds = off_seconds
        self.after_failures = after_failures
        self.cooldown_seconds = cooldown_seconds
        self._on_cycle = on_cycle
        self._lock = threading.Lock()
        self.records = {
            name: RelayRecord(pin, kind="pulse" if name in pulse_names else "camera_power")
            for name, pin in pins.items()
        }
        # Resting level: cameras are powered from the moment the service starts; a door strike stays released.
        self._devices = {
            name: OutputDevice(pin, initial_value=self.records[name].kind == "camera_power", pin_factory=pin_factory)
            for name, pin in pins.items()
        }

    def has(self, camera_id: str) -> bool:
        """Whether `camera_id` has a power relay (pulse relays are not camera power)."""
        record = self.records.get(camera_id)
        return record is not None and record.kind == "camera_power"

    def kind(self, name: str) -> RelayKind | None:
        record = self.records.get(name)
        return record.kind if record is not None else None

    def power_cycle(self, camera_id: str, reason: str = "command", wait: bool = False) -> threading.Thread:
        """Start a cycle in the background (so an HTTP handler or event listener never blocks)."""
        if not self.has(camera_id):
            raise NoSuchRelay(f"камера {camera_id!r}: реле питания не подключено")
        return self._start(camera_id, self.off_seconds, reason, wait)

    def pulse(self, name: str, seconds: float, reason: str = "command", wait: bool = True) -> threading.Thread:
        """Switch relay `name` away from its resting level for `seconds`, then back (a camera relay: power off)."""
        if name not in self.records:
            raise NoSuchRelay(f"реле {name!r} не подключено")
        return self._start(name, seconds, reason, wait)

    def _start(self, name: str, seconds: float, reason: str, wait: bool) -> threading.Thread:
        record = self.records[name]
        with self._lock:
            if record.cycling:
                raise RelayError(f"реле {name!r} уже переключается")
            record.cycling = True
        thread = threading.Thread(target=self._cycle, args=(name, seconds, reason), name=f"relay-{name}", daemon=True)
        thread.start()
        if wait:
            thread.join()
        return thread

    def note_failures(self, camera_id: str, failures: int) -> bool:
        """Called on every failed reconnect; cycles the camera every `after_failures` failures. True if cycled."""
        record = self.records.get(camera_id)
        if record is None or record.kind != "camera_power" or failures < self.after_failures or record.cycling:
            return False
        if failures - record.failures_at_last_cycle < self.after_failures:
            return False
        if record.last_cycle_at is not None and time.time() - record.last_cycle_at < self.cooldown_seconds:
            return False
        record.failures_at_last_cycle = failures
        try:
            self.power_cycle(camera_id, reason=f"{failures} неудачных переподключений")
        except RelayError:
            return False
        return True

    def reset_failures(self, camera_id: str) -> None:
        """The camera came back: the next run of failures counts from zero."""
        if camera_id in self.records:
            self.records[camera_id].failures_at_last_cycle = 0

    def close(self) -> None:
        for device in self._devices.values():
            device.close()

    def _cycle(self, name: str, seconds: float, reason: str) -> None:
        device, record = self._devices[name], self.records[name]
        resting = record.kind == "camera_power"
        if resting:
            log.warning("power-cycling camera %s for %.1f s: %s", name, seconds, reason)
        else:
            log.warning("relay %s pulsed for %.1f s (pin %d): %s", name, seconds, record.pin, reason)
        try:
            device.value = not resting
            time.sleep(seconds)
        finally:
            device.value = resting  # back to rest even if the sleep is interrupted
            with self._lock:
                record.cycling = False
                record.cycles += 1
                record.last_cycle_at = time.time()
                record.last_reason = reason
                record.history = (record.history + [(record.last_cycle_at, reason)])[-20:]
        if self._on_cycle is not None and resting:
            self._on_cycle(name, reason)
