"""Login rate limiting: a lockout per client address, and a box-wide one against guessing from many addresses.

The policy is the portal's (portal/auth/login_attempt.py; edge cannot import the portal, so it is restated
here): the lock is checked before the password, the password is always verified against an argon2 hash (a
dummy one when no password is set), and a failure counts against the client address.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Attempt:
    ok: bool
    retry_after: float = 0.0  # > 0: refused because locked (before or by this failure)


class LoginThrottle:
    def __init__(
        self,
        max_failures: int,
        lockout_seconds: float,
        global_max_failures: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.lockout_seconds = lockout_seconds
        self.global_max_failures = global_max_failures
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, list[float]] = {}
        self._locked_until: dict[str, float] = {}

    def retry_after(self, client: str) -> float:
        """Seconds until `client` may try again; 0 when it may try now."""
        now = self._clock()
        with self._lock:
            until = max(self._locked_until.get(client, 0.0), self._locked_until.get("*", 0.0))
        return max(0.0, until - now)

    def failed(self, client: str) -> None:
        now = self._clock()
        window = now - self.lockout_seconds
        with self._lock:
            recent = [t for t in self._failures.get(client, []) if t > window] + [now]
            self._failures[client] = recent
            if len(recent) >= self.max_failures:
                self._locked_until[client] = now + self.lockout_seconds
                self._failures[client] = []
            everyone = sum(1 for times in self._failures.values() for t in times if t > window)
            if everyone >= self.global_max_failures:
                self._locked_until["*"] = now + self.lockout_seconds

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)


def attempt_login(throttle: LoginThrottle, client: str, verify: Callable[[str], bool], password: str) -> Attempt:
    """The one login step of the technician UI: lockout first, then exactly one verification, then counting."""
    wait = throttle.retry_after(client)
    if wait > 0:
        return Attempt(False, wait)
    if verify(password):
        throttle.succeeded(client)
        return Attempt(True)
    throttle.failed(client)
    return Attempt(False)  # a lock this failure caused shows on the next attempt
