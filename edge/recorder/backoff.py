"""Capped exponential restart backoff."""

from __future__ import annotations


class Backoff:
    """Delays base, 2*base, 4*base ... up to `cap`; `reset()` after a healthy run.

    `brisk(limit)` caps the next delays lower: used right after a healthy run, when a camera that just
    vanished is most likely rebooting and worth polling briskly.
    """

    def __init__(self, base: float = 0.5, cap: float = 30.0) -> None:
        if base <= 0 or cap < base:
            raise ValueError("backoff needs 0 < base <= cap")
        self.base = base
        self.cap = cap
        self.attempt = 0

    def next_delay(self, limit: float | None = None) -> float:
        delay = min(self.cap, self.base * 2**self.attempt)
        self.attempt += 1
        return min(delay, limit) if limit is not None else delay

    def reset(self) -> None:
        self.attempt = 0
