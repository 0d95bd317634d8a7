"""Plays a status pattern on the LED in a background thread until another pattern replaces it."""

from __future__ import annotations

import threading

from gpiozero import LED
from gpiozero.pins import Factory

from edge.gpio.patterns import PATTERNS, BoxState, Pattern


class StatusLed:
    """The box LED; `show(state)` switches pattern at once (the current cycle is cut short)."""

    def __init__(self, pin: int, pin_factory: Factory | None = None) -> None:
        self._led = LED(pin, pin_factory=pin_factory)
        self._state = BoxState.BOOTING
        self._changed = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._play, name="status-led", daemon=True)
        self._thread.start()

    @property
    def state(self) -> BoxState:
        return self._state

    @property
    def pattern(self) -> Pattern:
        return PATTERNS[self._state]

    def show(self, state: BoxState) -> None:
        with self._lock:
            if state == self._state:
                return
            self._state = state
            self._changed.set()

    def close(self) -> None:
        self._stopping.set()
        self._changed.set()
        self._thread.join(5)
        self._led.close()

    def _play(self) -> None:
        while not self._stopping.is_set():
            self._changed.clear()
            for lit, seconds in PATTERNS[self._state].steps:
                self._led.value = lit
                # Waiting on the event (not sleeping) lets a new state take over mid-cycle.
                if self._changed.wait(seconds):
                    break
        self._led.off()
