"""A TCP proxy between a box and the portal that can damage request bodies and reports what passes through.

Not a fake of anything: it forwards real bytes to the real portal, and flips one body byte of the next N
segment PUTs when asked (a corrupted upload, as a bad link would make it). It also tells when a PUT body is
half-way through (to kill the box at that moment) and counts the portal's answers by status.

In captive mode (`captive = True`) it stands in for what hotel and ISP captive portals and some proxies do: it
answers every request itself with `200 OK` and an HTML login page, reaching nothing behind it.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from collections import Counter

_PUT = re.compile(rb"PUT /ingest/v1/cameras/[^ ]+/segments/\d+ HTTP/1\.1\r\n")
_LENGTH = re.compile(rb"\r\ncontent-length: *(\d+)", re.IGNORECASE)
_STATUS = re.compile(rb"HTTP/1\.1 (\d{3}) ")


class _Upstream:
    """Client -> portal direction of one connection: finds PUT bodies, corrupts, tracks progress."""

    def __init__(self, proxy: FaultProxy) -> None:
        self.proxy = proxy
        self.header = b""
        self.body_left = 0
        self.flip = False

    def feed(self, data: bytes) -> bytes:
        out = bytearray()
        while data:
            if self.body_left > 0:
                take = data[: self.body_left]
                if self.flip:
                    take = bytes([take[0] ^ 0xFF]) + take[1:]
                    self.flip = False
                self.body_left -= len(take)
                out += take
                data = data[len(take) :]
                if self.body_left == 0:
                    self.proxy._body_done()
                continue
            self.header += data
            end = self.header.find(b"\r\n\r\n")
            if end < 0:
                out += data
                return bytes(out)
            head, rest = self.header[: end + 4], self.header[end + 4 :]
            out += data[: len(data) - len(rest)]
            self.header = b""
            data = rest
            length = _LENGTH.search(head)
            self.body_left = int(length.group(1)) if length else 0
            if _PUT.search(head) and self.body_left:
                self.flip = self.proxy._take_corruption()
                self.proxy._body_started()
        return bytes(out)


class FaultProxy:
    def __init__(self, target_port: int, host: str = "127.0.0.1") -> None:
        self.host = host
        self.target_port = target_port
        self._listener = socket.create_server((host, 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._corrupt = 0
        self.corrupted = 0
        self.statuses: Counter[int] = Counter()
        self.bytes_up = 0
        self._in_body = 0
        self._closed = False
        self._conns: list[socket.socket] = []
        self.captive = False
        self.captive_answers = 0
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def corrupt_next(self, count: int) -> None:
        with self._lock:
            self._corrupt += count

    def bodies_in_flight(self) -> int:
        with self._lock:
            return self._in_body

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        for conn in list(self._conns):
            with contextlib.suppress(OSError):
                conn.close()

    # --- internals ------------------------------------------------------------------------------------

    def _take_corruption(self) -> bool:
        with self._lock:
            if self._corrupt <= 0:
                return False
            self._corrupt -= 1
            self.corrupted += 1
            return True

    def _body_started(self) -> None:
        with self._lock:
            self._in_body += 1

    def _body_done(self) -> None:
        with self._lock:
            self._in_body = max(0, self._in_body - 1)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.captive:
                self._conns.append(client)
                threading.Thread(target=self._captive, args=(client,), daemon=True).start()
                continue
            try:
                server = socket.create_connection((self.host, self.target_port), timeout=5)
            except OSError:
                client.close()  # the portal is down: the box sees a dropped connection
                continue
            server.settimeout(None)
            self._conns += [client, server]
            upstream = _Upstream(self)
            threading.Thread(target=self._pipe, args=(client, server, upstream), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, None), daemon=True).start()

    def _captive(self, client: socket.socket) -> None:
        """Read each request (head and body) and answer 200 with a login page, on a kept-alive connection."""
        page = b"<!doctype html><html><body><h1>Wi-Fi login</h1><form>...</form></body></html>"
        answer = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n%s" % (len(page), page)
        buffer = b""
        try:
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = client.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, buffer = buffer.split(b"\r\n\r\n", 1)
                length = _LENGTH.search(head + b"\r\n")
                left = int(length.group(1)) if length else 0
                while len(buffer) < left:
                    data = client.recv(65536)
                    if not data:
                        return
                    buffer += data
                buffer = buffer[left:]
                if not self.captive:
                    return  # gone: the connection drops, the next one reaches the portal
                client.sendall(answer)
                with self._lock:
                    self.captive_answers += 1
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                client.close()

    def _pipe(self, src: socket.socket, dst: socket.socket, upstream: _Upstream | None) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if upstream is not None:
                    with self._lock:
                        self.bytes_up += len(data)
                    data = upstream.feed(data)
                else:
                    for match in _STATUS.finditer(data):
                        with self._lock:
                            self.statuses[int(match.group(1))] += 1
                dst.sendall(data)
        except OSError:
            pass
        finally:
            if upstream is not None and upstream.body_left > 0:
                self._body_done()  # the body was cut off mid-way
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
