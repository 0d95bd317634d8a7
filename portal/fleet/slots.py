"""Consumer slots: stable MQTT client ids for portal workers, so their persistent broker sessions outlive them.

A worker's client id is ``<prefix>-<slot>``; it holds the slot with a lock the operating system or the database
releases when the worker dies, even by SIGKILL: a PostgreSQL session-level advisory lock (any number of
processes on any number of hosts) or, on SQLite (one machine), an ``flock`` beside the database file. A worker
started after another died takes the lowest free slot, so it resumes that session and receives what the broker
kept for it. The slots ever used are rows of ``mqtt_consumer_slots``; a live worker adopts a row whose lock is
free and drains that session (portal/fleet/consumer.py), so messages queued for a worker that never comes back
are still handled.
"""

import fcntl
import logging
import os
import socket
import threading
from pathlib import Path

from sqlalchemy import Connection, create_engine, delete, select
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from portal.db import Database
from portal.models import ConsumerSlot, utcnow

log = logging.getLogger("portal.fleet.slots")

LOCK_CLASS = 7710018  # advisory lock namespace of the consumer slots (7710001 is the migrator's)
MAX_SLOTS = 1024


class SlotLeases:
    """The slots this process holds (thread-safe)."""

    def __init__(self, db: Database, prefix: str = "portal") -> None:
        self.db = db
        self.prefix = prefix
        self.holder = f"{socket.gethostname()}:{os.getpid()}"
        self._lock = threading.Lock()
        self._held: dict[int, object] = {}  # slot -> its flock file (SQLite); None on PostgreSQL
        self._conn: Connection | None = None
        if not db.is_sqlite:
            # One connection outside the pool for the life of the process: the locks live as long as it does.
            engine = create_engine(db.url, poolclass=NullPool)
            self._conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    def client_id(self, slot: int) -> str:
        return f"{self.prefix}-{slot}"

    def acquire_lowest(self) -> int:
        for slot in range(MAX_SLOTS):
            if self.try_acquire(slot):
                return slot
        raise RuntimeError(f"all {MAX_SLOTS} MQTT consumer slots are held")

    def try_acquire(self, slot: int) -> bool:
        with self._lock:
            if slot in self._held:
                return False
            handle = self._try_lock(slot)
            if handle is False:
                return False
            self._held[slot] = handle
        return True

    def release(self, slot: int) -> None:
        with self._lock:
            if slot not in self._held:
                return
            handle = self._held.pop(slot)
            if self._conn is not None:
                self._conn.exec_driver_sql(f"SELECT pg_advisory_unlock({LOCK_CLASS}, {int(slot)})")
            elif handle is not None:
                handle.close()  # type: ignore[attr-defined]  # closing the file drops its flock

    def held(self) -> list[int]:
        with self._lock:
            return sorted(self._held)

    # --- the table of slots ever used ------------------------------------------------------------------------

    def record(self, slot: int) -> None:
        """Note (or refresh) that this slot's session exists at the broker."""
        with self.db.session() as session:
            row = session.get(ConsumerSlot, slot)
            if row is None:
                session.add(ConsumerSlot(slot=slot, client_id=self.client_id(slot), holder=self.holder))
            else:
                row.client_id, row.holder, row.last_seen = self.client_id(slot), self.holder, utcnow()

    def forget(self, slot: int) -> None:
        """The slot's session was ended at the broker (drained and expired): nothing is left to adopt."""
        with self.db.session() as session:
            session.execute(delete(ConsumerSlot).where(ConsumerSlot.slot == slot))

    def orphans(self) -> list[int]:
        """Recorded slots no live worker holds, now held by this process (the caller drains, forgets, releases)."""
        with self.db.session() as session:
            recorded = list(session.scalars(select(ConsumerSlot.slot).order_by(ConsumerSlot.slot)))
        return [slot for slot in recorded if self.try_acquire(slot)]

    def close(self) -> None:
        for slot in self.held():
            self.release(slot)
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # --- the locks -------------------------------------------------------------------------------------------

    def _try_lock(self, slot: int) -> object:
        """The lock's handle, or False when another process holds it."""
        if self._conn is not None:
            got = self._conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({LOCK_CLASS}, {int(slot)})").scalar()
            return None if got else False
        path = self._lock_path(slot)
        handle = path.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        return handle

    def _lock_path(self, slot: int) -> Path:
        database = make_url(self.db.url).database or ""
        base = Path(database) if database and database != ":memory:" else Path("/tmp/dozor-portal")
        return base.with_name(f"{base.name}.mqtt-slot-{slot}.lock")
