"""The service button (short press / long hold) and the enclosure tamper switch."""

from __future__ import annotations

import threading
from collections.abc import Callable

from gpiozero import Button
from gpiozero.pins import Factory


class ServiceButton:
    """Short press → `on_short()`; held for `hold_seconds` → `on_hold()` (once, the release does nothing)."""

    def __init__(
        self,
        pin: int,
        *,
        hold_seconds: float,
        on_short: Callable[[], None],
        on_hold: Callable[[], None],
        pin_factory: Factory | None = None,
    ) -> None:
        self._held = False
        self._on_short, self._on_hold = on_short, on_hold
        # Active low with the internal pull-up: the button shorts the pin to ground.
        self._button = Button(pin, pull_up=True, bounce_time=None, hold_time=hold_seconds, pin_factory=pin_factory)
        self._button.when_pressed = self._pressed
        self._button.when_held = self._held_long
        self._button.when_released = self._released

    def _pressed(self) -> None:
        self._held = False

    def _held_long(self) -> None:
        self._held = True
        # Run outside gpiozero's event thread: resetting a password hashes with argon2.
        threading.Thread(target=self._on_hold, name="button-hold", daemon=True).start()

    def _released(self) -> None:
        if not self._held:
            threading.Thread(target=self._on_short, name="button-short", daemon=True).start()

    def close(self) -> None:
        self._button.close()


class TamperSwitch:
    """A lid microswitch wired so that an open enclosure reads as "pressed" (pin pulled low)."""

    def __init__(self, pin: int, *, on_change: Callable[[bool], None], pin_factory: Factory | None = None) -> None:
        self._on_change = on_change
        self._switch = Button(pin, pull_up=True, bounce_time=None, pin_factory=pin_factory)
        self._switch.when_pressed = lambda: self._on_change(True)
        self._switch.when_released = lambda: self._on_change(False)

    @property
    def is_open(self) -> bool:
        return bool(self._switch.is_pressed)

    def close(self) -> None:
        self._switch.close()
