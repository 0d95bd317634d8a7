"""Technician logins: random bearer tokens in a cookie; only their SHA-256 is kept, in memory."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass

COOKIE = "dozor_tech"


@dataclass
class Session:
    csrf: str
    expires: float


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionStore:
    """A box restart logs everyone out, which is fine on site; a password reset does the same."""

    def __init__(self, lifetime_seconds: float) -> None:
        self.lifetime = lifetime_seconds
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(self) -> tuple[str, Session]:
        token = secrets.token_urlsafe(32)
        session = Session(csrf=secrets.token_urlsafe(16), expires=time.time() + self.lifetime)
        with self._lock:
            self._sessions[_digest(token)] = session
        return token, session

    def get(self, token: str | None) -> Session | None:
        if not token:
            return None
        key = _digest(token)
        with self._lock:
            session = self._sessions.get(key)
            if session is not None and session.expires < time.time():
                del self._sessions[key]
                return None
            return session

    def drop(self, token: str | None) -> None:
        if token:
            with self._lock:
                self._sessions.pop(_digest(token), None)

    def drop_all(self) -> None:
        with self._lock:
            self._sessions.clear()
