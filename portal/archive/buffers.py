"""Reusable receive buffers for a download's reads (portal/archive/s3_async.py, storage._FileReads).

A download reads ~1.5 MB objects back to back. A fresh ``bytearray`` per object is zero-filled and, above glibc's
mmap threshold, page-faulted in (~370 faults an object): measured, that doubled the reads' CPU (docs/downloads.md,
"Reads on the event loop"). So buffers go back to a small pool once their bytes are sent, and are taken again for
the next object.

The invariant that keeps reuse safe: a buffer is handed out again only when nothing still views it. Whoever
holds a memoryview of a bytearray (a consumer that kept a chunk, a transport that queued it unsent) holds an
*export* of it, and CPython refuses to resize an exported bytearray (BufferError). ``take`` checks that with a
resize by one byte that moves no memory, and skips a buffer that is still viewed (it stays idle until it is not).
"""

import threading

GRAIN = 256 * 1024  # capacities are multiples of this, so objects of nearby sizes share buffers
MAX_IDLE_BYTES = 64 * 1024 * 1024  # idle buffers kept per process (3 downloads' read-ahead windows)


def _unviewed(buffer: bytearray) -> bool:
    """True when no memoryview of ``buffer`` is alive (see the module's invariant)."""
    try:
        last = buffer.pop()  # shrinking by one byte keeps the allocation; it fails on an exported buffer
    except BufferError:
        return False
    buffer.append(last)
    return True


class BufferPool:
    """Idle bytearrays by capacity; thread-safe (every event loop of the process shares it)."""

    def __init__(self, max_idle_bytes: int = MAX_IDLE_BYTES) -> None:
        self._idle: list[bytearray] = []
        self._idle_bytes = 0
        self._max = max_idle_bytes
        self._lock = threading.Lock()

    def take(self, size: int) -> memoryview:
        """A writable view of exactly ``size`` bytes (contents undefined)."""
        capacity = max(-(-size // GRAIN) * GRAIN, GRAIN)
        with self._lock:
            for i in range(len(self._idle) - 1, -1, -1):
                buffer = self._idle[i]
                # A viewed buffer stays idle: most are chunks the event loop's transport has not sent yet.
                if capacity <= len(buffer) <= 2 * capacity and _unviewed(buffer):
                    del self._idle[i]
                    self._idle_bytes -= len(buffer)
                    return memoryview(buffer)[:size]
        return memoryview(bytearray(capacity))[:size]

    def give(self, chunk: object) -> None:
        """Return the buffer behind ``chunk`` (a view ``take`` gave) once its bytes are sent; anything else is
        ignored. The caller drops its own views of it: a buffer still viewed is never reused (module invariant)."""
        buffer = chunk.obj if isinstance(chunk, memoryview) else None
        if not isinstance(buffer, bytearray) or len(buffer) % GRAIN:
            return
        with self._lock:
            if self._idle_bytes + len(buffer) <= self._max and all(b is not buffer for b in self._idle):
                self._idle.append(buffer)
                self._idle_bytes += len(buffer)

    @property
    def idle_bytes(self) -> int:
        return self._idle_bytes


POOL = BufferPool()
