"""The technician password: an argon2 hash in the box's small state file, never the password itself.

Sources, latest wins: the config's `password_hash` or `label_password` (first start), the portal (a hash sent
at enrolment or later), and the service button (10 s hold: back to the label password).
"""

from __future__ import annotations

import secrets
import threading
import time
from pathlib import Path

from argon2.exceptions import InvalidHashError, VerificationError

from dozor.hashing import password_hasher
from edge.state import open_state
from edge.techui.config import TechnicianConfig

MIN_LENGTH = 8


class PasswordError(ValueError):
    """A new password or hash is not acceptable; the message says why (Russian, shown on pages)."""


class TechnicianPasswords:
    """Holds one hash in `{data_dir}/technician.json` (TinyDB table `technician`)."""

    def __init__(self, state_file: Path, config: TechnicianConfig) -> None:
        self._db = open_state(state_file)
        self._table = self._db.table("technician")
        self._hasher = password_hasher()
        self._label = config.label_password.get_secret_value() if config.label_password else None
        self._lock = threading.Lock()
        self._dummy_hash: str | None = None
        if self._current() is None:
            if config.password_hash:
                self.set_hash(config.password_hash.get_secret_value(), source="config")
            elif self._label:
                self.set_password(self._label, source="label")

    def _current(self) -> dict | None:
        rows = self._table.all()
        return dict(rows[0]) if rows else None

    @property
    def configured(self) -> bool:
        """False means nobody can log in (no hash anywhere): the UI stays closed, never open."""
        return self._current() is not None

    @property
    def source(self) -> str | None:
        row = self._current()
        return row["source"] if row else None

    def verify(self, password: str) -> bool:
        """Always one argon2 verification (a dummy hash when none is set): no answer comes back faster."""
        row = self._current()
        stored = row["hash"] if row is not None else ""
        try:
            right: bool = self._hasher.verify(stored or self._dummy(), password)
        except (VerificationError, InvalidHashError):
            right = False
        return right and bool(stored) and bool(password)

    def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(24))
        return self._dummy_hash

    def set_password(self, password: str, source: str = "technician") -> None:
        if len(password) < MIN_LENGTH:
            raise PasswordError(f"пароль: не короче {MIN_LENGTH} символов")
        self._store(self._hasher.hash(password), source)

    def set_hash(self, password_hash: str, source: str = "portal") -> None:
        """Accept a hash made elsewhere (the portal never sends the password in clear)."""
        if not password_hash.startswith("$argon2"):
            raise PasswordError("password_hash: нужен хеш argon2 ($argon2id$...)")
        self._store(password_hash, source)

    def reset_to_label(self) -> bool:
        """Service button: back to the password printed on the label. False when the box has no label password."""
        if not self._label:
            return False
        self.set_password(self._label, source="label")
        return True

    def close(self) -> None:
        self._db.close()

    def _store(self, password_hash: str, source: str) -> None:
        with self._lock:
            self._table.truncate()
            self._table.insert({"hash": password_hash, "source": source, "set_at": time.time()})
