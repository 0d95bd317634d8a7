"""S3 GETs on the event loop, for downloads (portal/archive/progressive.aiter_range).

Why not the threaded reader (storage_s3._SignedReader over urllib3), which everything else uses: an hour of 720p is
600 GETs of ~1.5 MB. On threads each GET costs ~0.5 ms of Python under the GIL (urllib3, http.client's header
parsing through the email package), and every recv hands the GIL between the reader threads and the event loop that
sends. Measured on SeaweedFS, reading an hour took 0.75-0.95 CPU-s that way and 0.33-0.49 CPU-s here
(docs/downloads.md, "Reads on the event loop"). Here a connection is an asyncio ``BufferedProtocol``: the body is
received straight into a buffer sized from Content-Length (one copy, the kernel's), taken from a pool
(portal/archive/buffers.py).

Scope, kept small on purpose: GET of a whole object or one byte range, HTTP/1.1 keep-alive within one download (a
``ReadSession``), a response framed by Content-Length (every S3 server frames GetObject so). An answer framed
otherwise (chunked, or read to close) raises ``Unframed``, and the caller reads through the threaded path. httptools
(uvicorn's parser) parses the response head; botocore's signer makes the SigV4 headers, as for the threaded reader.
Retries follow the threaded reader's policy: 3 attempts on connection errors, timeouts and 5xx, 0.1 s then 0.2 s
apart.
"""

import asyncio
import ssl
import weakref
from collections.abc import Callable
from typing import cast
from urllib.parse import urlsplit

import httptools

from portal.archive.buffers import POOL
from portal.archive.storage import ObjectNotFound

CONNECT_TIMEOUT = 10.0
RESPONSE_TIMEOUT = 60.0  # for a whole answer: objects read this way are segments of a few MB
MAX_HEAD = 64 * 1024
ATTEMPTS = 3
BACKOFF = 0.1  # seconds before the second attempt; doubled before the third
MAX_IN_FLIGHT = 64  # requests per event loop, every download together (each keeps at most 16: its window)

Signer = Callable[[str, str | None], tuple[str, dict[str, str]]]  # (full key, "bytes=a-b" | None) -> (url, headers)


class Unframed(OSError):
    """The store answered without a Content-Length; read this object through the threaded path."""


class _Stale(ConnectionError):
    """A kept-alive connection was closed before any byte of the answer: resend at once on a new one."""


class _Head:
    """httptools callbacks for a response head."""

    def __init__(self) -> None:
        self.fields: dict[bytes, bytes] = {}
        self.complete = False

    def on_header(self, name: bytes, value: bytes) -> None:
        self.fields[name.lower()] = value

    def on_headers_complete(self) -> None:
        self.complete = True


class _Connection(asyncio.BufferedProtocol):
    """One HTTP/1.1 connection: one request at a time; the body lands in a pooled buffer."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._scratch = bytearray(MAX_HEAD)
        self._head = bytearray()
        self._body: memoryview | None = None
        self._got = 0
        self._waiter: asyncio.Future[tuple[int, memoryview]] | None = None
        self._status = 0
        self._keep_alive = False
        self.used = False  # has answered a request before (a close before any byte then means a stale keep-alive)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not asyncio's classes

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._waiter is not None and not self._waiter.done():
            nothing_yet = not self._head and self._body is None
            lost = ConnectionError(f"the store closed the connection: {exc}")
            error = _Stale() if self.used and nothing_yet else lost
            self._waiter.set_exception(error)

    def get_buffer(self, sizehint: int) -> memoryview | bytearray:
        return self._body[self._got :] if self._body is not None else self._scratch

    def buffer_updated(self, nbytes: int) -> None:
        if self._waiter is None or self._waiter.done():
            self.close()  # bytes nobody asked for: the connection's framing is lost
            return
        if self._body is not None:
            self._got += nbytes
        else:
            self._head += memoryview(self._scratch)[:nbytes]
            try:
                self._parse_head()
            except (OSError, httptools.HttpParserError, ValueError) as exc:
                self._fail(exc if isinstance(exc, OSError) else OSError(f"bad answer from the store: {exc}"))
                return
        if self._body is not None and self._got == len(self._body):  # recv_into never passes the view's end
            body, self._body = self._body, None
            self._head, self._got = bytearray(), 0
            self._waiter.set_result((self._status, body))
            if not self._keep_alive:
                self.close()

    def _parse_head(self) -> None:
        end = self._head.find(b"\r\n\r\n")
        if end < 0:
            if len(self._head) > MAX_HEAD:
                raise OSError("the store's answer head is over 64 KiB")
            return
        head = _Head()
        parser = httptools.HttpResponseParser(head)
        parser.feed_data(bytes(self._head[: end + 4]))
        if not head.complete:
            raise OSError("the store's answer head is incomplete")
        if b"transfer-encoding" in head.fields or b"content-length" not in head.fields:
            raise Unframed("the store's answer has no Content-Length")
        length = int(head.fields[b"content-length"])
        self._status, self._keep_alive = parser.get_status_code(), parser.should_keep_alive()
        rest = memoryview(self._head)[end + 4 :]
        if len(rest) > length:
            raise OSError("the store sent more bytes than its Content-Length")
        self._body = POOL.take(length) if length else memoryview(bytearray())
        self._body[: len(rest)] = rest
        self._got = len(rest)
        del rest

    def _fail(self, exc: BaseException) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(exc)
        self.close()

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    async def request(self, head: bytes) -> tuple[int, memoryview]:
        """Send a request head; (status, body) once the whole body is in."""
        assert self.transport is not None and self._waiter is None
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            self.transport.write(head)
            return await asyncio.wait_for(self._waiter, RESPONSE_TIMEOUT)
        except BaseException:
            self.close()  # cancelled or failed mid-answer: the rest of it would confuse the next request
            raise
        finally:
            self._waiter = None
            self.used = True


_IN_FLIGHT: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


def _slots() -> asyncio.Semaphore:
    """Requests in flight on this event loop, every download together: at most MAX_IN_FLIGHT."""
    loop = asyncio.get_running_loop()
    slots = _IN_FLIGHT.get(loop)
    if slots is None:
        slots = _IN_FLIGHT[loop] = asyncio.Semaphore(MAX_IN_FLIGHT)
    return slots


class AsyncS3Reader:
    """Signed GETs of one store; ``session()`` gives the keep-alive connections of one download."""

    def __init__(self, endpoint: str, sign: Signer) -> None:
        parts = urlsplit(endpoint)
        self._ssl = ssl.create_default_context() if parts.scheme == "https" else None
        self._host = parts.hostname or "localhost"
        self._port = parts.port or (443 if self._ssl else 80)
        self._sign = sign

    def session(self) -> "ReadSession":
        return ReadSession(self)

    def request_head(self, full_key: str, byte_range: str | None) -> bytes:
        url, headers = self._sign(full_key, byte_range)
        parts = urlsplit(url)
        lines = [f"GET {parts.path}{'?' + parts.query if parts.query else ''} HTTP/1.1", f"Host: {parts.netloc}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        _, connection = await asyncio.wait_for(
            loop.create_connection(_Connection, self._host, self._port, ssl=self._ssl), CONNECT_TIMEOUT
        )
        return connection


class ReadSession:
    """One download's reads: connections are kept alive between its reads (an hour is 600 GETs over a dozen
    connections) and closed by ``close()``, on the loop they were made on. Nothing outlives the download, so no
    connection is left behind on an event loop that has ended (a test client's)."""

    def __init__(self, reader: AsyncS3Reader) -> None:
        self._reader = reader
        self._idle: list[_Connection] = []
        self._closed = False

    async def get(self, full_key: str, key: str, byte_range: str | None = None) -> memoryview:
        """The object stored under ``full_key`` (or ``byte_range`` of it) as a view of a pooled buffer; errors
        name ``key`` (the caller's name for it)."""
        head = self._reader.request_head(full_key, byte_range)
        async with _slots():
            status, body = await self._send(head)
        if status == 200 or (byte_range is not None and status == 206):
            return body
        if status == 404:
            raise ObjectNotFound(key)
        raise OSError(f"S3 GET {key}: HTTP {status} {bytes(body[:200])!r}")

    async def _send(self, head: bytes) -> tuple[int, memoryview]:
        for attempt in range(ATTEMPTS):
            connection = await self._connection()
            try:
                status, body = await connection.request(head)
            except _Stale:
                continue  # the server had closed an idle keep-alive: not an error, and no wait
            except Unframed:
                raise
            except (OSError, TimeoutError) as exc:
                if attempt == ATTEMPTS - 1:
                    raise OSError(f"S3 GET failed after {ATTEMPTS} attempts: {exc}") from exc
                await asyncio.sleep(BACKOFF * 2**attempt)
                continue
            self._idle_again(connection)
            if status >= 500 and attempt < ATTEMPTS - 1:
                await asyncio.sleep(BACKOFF * 2**attempt)
                continue
            return status, body
        raise OSError(f"S3 GET failed after {ATTEMPTS} attempts: the store kept closing kept-alive connections")

    async def _connection(self) -> _Connection:
        while self._idle:
            connection = self._idle.pop()
            if not connection.closed:
                return connection
        return await self._reader.connect()

    def _idle_again(self, connection: _Connection) -> None:
        if self._closed:
            connection.close()  # a read that finished after the download ended
        elif not connection.closed:
            self._idle.append(connection)

    def close(self) -> None:
        self._closed = True
        for connection in self._idle:
            connection.close()
        self._idle.clear()
