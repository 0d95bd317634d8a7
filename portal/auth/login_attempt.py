"""The one login attempt every password login of the portal goes through: web, JSON, Forpost and operator.

Order matters: the lock is checked before any password (a locked key learns nothing, not even whether the
password was right); the password is always verified against some argon2 hash — a dummy one when the account
does not exist — so an unknown login costs the same time as a known one; a failure counts against the client
IP and the account key. The technician UI on the box follows the same policy in its own code
(edge/techui/throttle.py: edge cannot import the portal).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.orm import Session

from portal.auth import throttle
from portal.auth.passwords import hash_password, new_token, verify_password

T = TypeVar("T")

# A hash of a random password nobody knows: verifying against it costs what a real verification costs.
DUMMY_HASH = hash_password(new_token())


class LoginLocked(Exception):
    """Too many failures on the IP or the account: refused before (or because of) this attempt."""

    def __init__(self, lock: throttle.Lockout) -> None:
        super().__init__(f"login locked ({lock.scope}) until {lock.until.isoformat()}")
        self.lock = lock


@dataclass(frozen=True)
class LoginKeys:
    """What a failure is counted against: the client address and the account (e.g. "1001" or "op:admin")."""

    ip: str
    account: str

    def as_dict(self) -> dict[str, str]:
        return {"ip": self.ip or "unknown", "contract": self.account[:64]}


def attempt_login(
    db: Session,
    limits: throttle.Limits,
    keys: LoginKeys,
    password: str,
    find: Callable[[], T | None],
    hash_of: Callable[[T], str],
) -> T | None:
    """The account when the password is right; None after recording a failure; LoginLocked when locked.

    `find` looks the account up (None when unknown) and `hash_of` gives its stored argon2 hash. The caller
    commits even when the attempt fails, so that the failure counts.
    """
    key_map = keys.as_dict()
    lock = throttle.active_lockout(db, key_map)
    if lock is not None:
        raise LoginLocked(lock)
    account = find()
    stored = hash_of(account) if account is not None else ""
    # Exactly one argon2 verification whatever the account: the dummy hash stands in for a missing one.
    right = verify_password(stored or DUMMY_HASH, password)
    if account is None or not stored or not right:
        caused = throttle.record_failure(db, key_map, limits)
        if caused is not None:
            raise LoginLocked(caused)
        return None
    throttle.record_success(db, key_map)
    return account
