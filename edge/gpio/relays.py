"""Camera power relays: cut a camera's power for a few seconds, on command or after repeated failures."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from gpiozero import OutputDevice
from gpiozero.pins import Factory

log = logging.getLogger(__name__)


class RelayError(LookupError):
    """No relay is wired for this camera, or it is busy cycling."""


@dataclass
class RelayRecord:
    """What the status page shows per relay."""

    pin: int
    cycles: int = 0
    cycling: bool = False
    last_cycle_at: float | None = None  # unix time
    last_reason: str = ""
    failures_at_last_cycle: int = 0
    history: list[tuple[float, str]] = field(default_factory=list)


class CameraRelays:
    """One normally-powered relay per camera; `power_cycle` switches it off, waits, switches it back on."""

    def __init__(
        self,
        pins: dict[str, int],
        *,
        off_seconds: float,
        after_failures: int,
        cooldown_seconds: float,
        pin_factory: Factory | None = None,
        on_cycle: Callable[[str, str], None] | None = None,
    ) -> None:
        self.off_seconds = off_seconds
        self.after_failures = after_failures
        self.cooldown_seconds = cooldown_seconds
        self._on_cycle = on_cycle
        self._lock = threading.Lock()
        # initial_value=True: cameras are powered from the moment the service starts.
        self._devices = {
            cam: OutputDevice(pin, initial_value=True, pin_factory=pin_factory) for cam, pin in pins.items()
        }
        self.records = {cam: RelayRecord(pin) for cam, pin in pins.items()}

    def has(self, camera_id: str) -> bool:
        return camera_id in self._devices

    def power_cycle(self, camera_id: str, reason: str = "command", wait: bool = False) -> threading.Thread:
        """Start a cycle in the background (so an HTTP handler or event listener never blocks)."""
        if camera_id not in self._devices:
            raise RelayError(f"камера {camera_id!r}: реле питания не подключено")
        record = self.records[camera_id]
        with self._lock:
            if record.cycling:
                raise RelayError(f"камера {camera_id!r}: питание уже перезапускается")
            record.cycling = True
        thread = threading.Thread(target=self._cycle, args=(camera_id, reason), name=f"relay-{camera_id}", daemon=True)
        thread.start()
        if wait:
            thread.join()
        return thread

    def note_failures(self, camera_id: str, failures: int) -> bool:
        """Called on every failed reconnect; cycles the camera every `after_failures` failures. True if cycled."""
        record = self.records.get(camera_id)
        if record is None or failures < self.after_failures or record.cycling:
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

    def _cycle(self, camera_id: str, reason: str) -> None:
        device, record = self._devices[camera_id], self.records[camera_id]
        log.warning("power-cycling camera %s: %s", camera_id, reason)
        try:
            device.off()
            time.sleep(self.off_seconds)
            device.on()
        finally:
            with self._lock:
                record.cycling = False
                record.cycles += 1
                record.last_cycle_at = time.time()
                record.last_reason = reason
                record.history = (record.history + [(record.last_cycle_at, reason)])[-20:]
        if self._on_cycle is not None:
            self._on_cycle(camera_id, reason)
