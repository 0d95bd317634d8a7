"""The box clock: wall time, monotonic time, NTP synchronisation, and wall-clock steps.

A fake subclass may shift the wall clock in tests; changing the real system clock would disturb the machine.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import time

_TIME_ERROR = 5  # adjtimex(2) state: clock not synchronised
_libc: ctypes.CDLL | None = None


def _adjtimex_state() -> int | None:
    global _libc
    try:
        if _libc is None:
            _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        buf = ctypes.create_string_buffer(512)  # struct timex, modes = 0: read only
        return int(_libc.adjtimex(buf))
    except (OSError, AttributeError):
        return None


class Clock:
    """Real clocks of the box."""

    def wall(self) -> float:
        return time.time()

    def mono(self) -> float:
        return time.monotonic()

    def synced(self) -> bool:
        """True when the kernel says NTP has the clock synchronised (adjtimex state is not TIME_ERROR)."""
        state = _adjtimex_state()
        return state is not None and state != _TIME_ERROR


class StepDetector:
    """Notices the wall clock jumping against the monotonic clock (NTP step, manual date change, RTC fix)."""

    def __init__(self, clock: Clock, threshold: float = 2.0) -> None:
        self.clock = clock
        self.threshold = threshold
        self.offset = clock.wall() - clock.mono()

    def check(self) -> float | None:
        """The step in seconds since the last check, or None; re-arms itself."""
        offset = self.clock.wall() - self.clock.mono()
        step = offset - self.offset
        self.offset = offset
        return step if abs(step) >= self.threshold else None
