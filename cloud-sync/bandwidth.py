"""A token bucket shared by all upload workers: caps the box's upstream to what the building's link can spare."""

import threading
import time


class TokenBucket:
    """``rate`` bytes per second, at most ``burst`` bytes at once. ``rate <= 0`` means unlimited.

    The burst is kept small (a quarter second of rate by default) so the cap holds over short windows too.
    """

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = float(rate)
        self.burst = float(burst if burst is not None else max(self.rate / 4, 8192))
        self._tokens = self.burst
        self._stamp = time.monotonic()
        self._lock = threading.Lock()

    @classmethod
    def from_kbps(cls, kbps: float) -> "TokenBucket":
        return cls(kbps * 1000 / 8)

    @property
    def unlimited(self) -> bool:
        return self.rate <= 0

    def take(self, amount: int, stop: threading.Event | None = None) -> bool:
        """Block until ``amount`` bytes may be sent; False if ``stop`` was set while waiting."""
        if self.unlimited:
            return True
        # Debt is allowed (tokens go negative) so a chunk larger than the burst still passes, paid for later.
        with self._lock:
            self._refill()
            self._tokens -= amount
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait <= 0:
            return True
        if stop is not None:
            return not stop.wait(wait)
        time.sleep(wait)
        return True

    def _refill(self) -> None:
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
