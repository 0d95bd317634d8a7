"""Many paho clients on one thread: an epoll loop over their sockets plus a timer heap.

Simulating 500 boxes with a thread per MQTT client would cost 500 threads; here every client's network I/O
and every timer (telemetry, events, segment completion) runs on this one thread, so nothing needs a lock on
the paho side. Other threads hand work in with ``call_soon`` (a wake-up socket interrupts the wait).
"""

import contextlib
import heapq
import itertools
import logging
import selectors
import socket
import threading
import time
from collections.abc import Callable

import paho.mqtt.client as mqtt

log = logging.getLogger("dozor.sim.mqtt")
READ, WRITE = selectors.EVENT_READ, selectors.EVENT_WRITE


class MqttLoop:
    def __init__(self) -> None:
        self.selector = selectors.DefaultSelector()
        self.clients: list[mqtt.Client] = []
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._soon: list[Callable[[], None]] = []
        self._soon_lock = threading.Lock()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self.selector.register(self._wake_r, READ, None)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sim-mqtt", daemon=True)

    def add(self, client: mqtt.Client) -> None:
        """Route the client's socket through this loop (call before connecting, on the loop's thread)."""
        client.on_socket_open = lambda c, _u, sock: self.selector.register(sock, READ, c)
        client.on_socket_close = lambda _c, _u, sock: self._unregister(sock)
        client.on_socket_register_write = lambda c, _u, sock: self.selector.modify(sock, READ | WRITE, c)
        client.on_socket_unregister_write = lambda c, _u, sock: self.selector.modify(sock, READ, c)
        self.clients.append(client)

    def _unregister(self, sock) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(sock)

    def at(self, when: float, work: Callable[[], None]) -> None:
        """Run ``work`` on the loop's thread at monotonic time ``when`` (loop thread only)."""
        heapq.heappush(self._timers, (when, next(self._seq), work))

    def call_soon(self, work: Callable[[], None]) -> None:
        """From any thread."""
        with self._soon_lock:
            self._soon.append(work)
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    def start(self) -> "MqttLoop":
        self._thread.start()
        return self

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self.call_soon(lambda: None)
        self._thread.join(timeout)

    def _run(self) -> None:
        next_misc = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            while self._timers and self._timers[0][0] <= now:
                _, _, work = heapq.heappop(self._timers)
                self._safely(work)
            with self._soon_lock:
                soon, self._soon = self._soon, []
            for work in soon:
                self._safely(work)
            if now >= next_misc:  # keepalive pings and paho's housekeeping, once a second
                next_misc = now + 1.0
                for client in self.clients:
                    client.loop_misc()
            wait = 1.0 if not self._timers else max(0.0, min(1.0, self._timers[0][0] - time.monotonic()))
            for key, events in self.selector.select(timeout=wait):
                if key.data is None:
                    with contextlib.suppress(BlockingIOError):
                        self._wake_r.recv(4096)
                    continue
                client: mqtt.Client = key.data
                if events & READ:
                    client.loop_read(max_packets=10)
                if events & WRITE:
                    client.loop_write()

    @staticmethod
    def _safely(work: Callable[[], None]) -> None:
        try:
            work()
        except Exception:
            log.exception("simulator task failed")
