"""Brute-force protection: failed logins counted per client IP and per contract, stored in the database
so that every portal worker sees the same counts.

A key gets locked for `lock` once it collects `limit` failures within `window`; while locked, even the
right password is refused (otherwise the lock would only slow guessing down, not stop it).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import metrics
from portal.models import LoginThrottle, utcnow


@dataclass(frozen=True)
class Limits:
    per_ip: int
    per_contract: int
    window: timedelta
    lock: timedelta


@dataclass(frozen=True)
class Lockout:
    scope: str  # ip | contract (logins); rec-ip | rec-num (password recovery starts)
    until: datetime


def _row(db: Session, scope: str, key: str) -> LoginThrottle | None:
    return db.scalar(select(LoginThrottle).where(LoginThrottle.scope == scope, LoginThrottle.key == key))


def active_lockout(db: Session, keys: dict[str, str], now: datetime | None = None) -> Lockout | None:
    """The lock (if any) on these keys, e.g. {"ip": "10.0.0.5", "contract": "1001"}; the longest wins."""
    now = now or utcnow()
    found: Lockout | None = None
    for scope, key in keys.items():
        row = _row(db, scope, key)
        if row and row.locked_until and row.locked_until > now and (found is None or row.locked_until > found.until):
            found = Lockout(scope, row.locked_until)
    return found


def record_failure(db: Session, keys: dict[str, str], limits: Limits, now: datetime | None = None) -> Lockout | None:
    """Count one failure against every key; return the lock this failure caused, if any."""
    metrics.login_failed("operator" if keys.get("contract", "").startswith("op:") else "subscriber")
    now = now or utcnow()
    caused: Lockout | None = None
    for scope, key in keys.items():
        row = _row(db, scope, key)
        if row is None:
            row = LoginThrottle(scope=scope, key=key, failures=0, window_start=now)
            db.add(row)
        if now - row.window_start > limits.window:
            row.failures, row.window_start = 0, now
        row.failures += 1
        limit = limits.per_ip if scope.endswith("ip") else limits.per_contract  # "ip", "rec-ip": an address
        if row.failures >= limit:
            row.locked_until = now + limits.lock
            row.failures, row.window_start = 0, now
            caused = Lockout(scope, row.locked_until)
    db.flush()
    return caused


def record_success(db: Session, keys: dict[str, str]) -> None:
    """A right password clears the contract's count (the IP's stays: one good login must not unlock a botnet)."""
    for scope, key in keys.items():
        if scope == "ip":
            continue
        row = _row(db, scope, key)
        if row is not None:
            row.failures, row.locked_until = 0, None


def limits_from(settings) -> Limits:
    return Limits(
        per_ip=settings.login_max_failures_ip,
        per_contract=settings.login_max_failures_contract,
        window=timedelta(minutes=settings.login_window_minutes),
        lock=timedelta(minutes=settings.login_lock_minutes),
    )
