"""uvicorn's HTTP protocol with the ASGI zero-copy send extension (``http.response.zerocopysend``).

uvicorn offers no zero-copy send: every body byte is copied from the app's buffer into the socket, after being
copied from the file into that buffer. A download from the directory store is runs of file bytes (a progressive
MP4's mdat, docs/downloads.md); ``os.sendfile`` moves them from the page cache into the socket without either
copy through Python, which on a loopback hour costs less than reading the same bytes into memory and sending them.

The message is the ASGI spec's: ``{"type": "http.response.zerocopysend", "file": <file with fileno()>,
"offset": int | None, "count": int | None, "more_body": bool}``; its bytes count against Content-Length like a
body's. A response that uses it must have a Content-Length (no chunked framing around sendfile).

Invariant (kept in ``_send_file``): a sendfile starts only once the transport's write buffer is empty, so the
bytes reach the socket in the order the app sent them; while it runs nothing else writes to this transport (the
cycle's ``send`` is awaited by the one response). The socket's fd is dup'ed for the sends and the writability
waits: the loop's watcher of the transport's own fd is left alone, and a transport closed meanwhile (the client
left) cannot hand its fd number to another connection under a send.
"""

import asyncio
import os
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

ZEROCOPY = "http.response.zerocopysend"
# sendfile runs off the loop: a segment not in the page cache is a disk read, which must not stall other requests.
_SENDERS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="sendfile")


class ZeroCopyCycle(RequestResponseCycle):
    """One request/response of ``ZeroCopyProtocol``: uvicorn's, plus the zero-copy send message."""

    async def send(self, message: Any) -> None:
        if message["type"] != ZEROCOPY:
            await super().send(message)
            return
        if self.flow.write_paused and not self.disconnected:
            await self.flow.drain()
        if self.disconnected:
            return
        if not self.response_started or self.response_complete:
            raise RuntimeError(f"ASGI message {ZEROCOPY!r} sent outside a response body")
        if self.chunked_encoding:
            raise RuntimeError(f"ASGI message {ZEROCOPY!r} needs a Content-Length response")
        fd = message["file"].fileno()
        offset = message.get("offset") or 0
        count = message.get("count")
        if count is None:
            count = os.fstat(fd).st_size - offset
        if self.scope["method"] != "HEAD":
            if count > self.expected_content_length:
                raise RuntimeError("Response content longer than Content-Length")
            self.expected_content_length -= count
            try:
                await _send_file(self.transport, self.flow, fd, offset, count)
            except (BrokenPipeError, ConnectionResetError):
                self.disconnected = True  # the client left; the app learns it as uvicorn says it: sends do nothing
                self.transport.close()
                return
        if not message.get("more_body", False):
            await super().send({"type": "http.response.body", "body": b"", "more_body": False})


class ZeroCopyProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol whose requests offer ``http.response.zerocopysend`` (``--http`` class)."""

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        # The cycle was made for this request just now and its task has not run yet: it can still become ours.
        if type(self.cycle) is RequestResponseCycle and self.cycle.scope is self.scope:
            self.cycle.__class__ = ZeroCopyCycle
            self.scope.setdefault("extensions", {})[ZEROCOPY] = {}


async def _send_file(transport: asyncio.Transport, flow: Any, fd: int, offset: int, count: int) -> None:
    """``count`` bytes of ``fd`` from ``offset`` into the transport's socket; OSError when the file is shorter."""
    await _flushed(transport, flow)
    if transport.is_closing():
        raise ConnectionResetError("the connection closed before the file was sent")
    loop = asyncio.get_running_loop()
    out = os.dup(transport.get_extra_info("socket").fileno())
    job: Future[int] | None = None
    try:
        while count:
            job = _SENDERS.submit(_sendfile_some, out, fd, offset, count)
            sent = await asyncio.wrap_future(job)
            job = None
            offset += sent
            count -= sent
            if count:
                await _writable(loop, out)
    finally:
        if job is not None and not job.done():  # cancelled while a send runs: it owns ``out`` until it returns
            job.add_done_callback(lambda _: os.close(out))
        else:
            os.close(out)


def _sendfile_some(out: int, fd: int, offset: int, count: int) -> int:
    """As many bytes as the socket takes now (it is non-blocking), up to ``count``."""
    sent = 0
    while sent < count:
        try:
            n = os.sendfile(out, fd, offset + sent, count - sent)
        except BlockingIOError:
            break
        if n == 0:
            raise OSError(f"the file ended {count - sent} bytes before the response did")
        sent += n
    return sent


async def _flushed(transport: asyncio.Transport, flow: Any) -> None:
    """Returns once everything written to the transport before has left its buffer."""
    if not transport.get_write_buffer_size():
        return
    low, high = transport.get_write_buffer_limits()
    transport.set_write_buffer_limits(high=0, low=0)  # pauses the protocol now, resumes it when the buffer is empty
    try:
        await flow.drain()
    finally:
        if not transport.is_closing():
            transport.set_write_buffer_limits(high=high, low=low)


async def _writable(loop: asyncio.AbstractEventLoop, fd: int) -> None:
    ready = loop.create_future()
    loop.add_writer(fd, lambda: ready.done() or ready.set_result(None))
    try:
        await ready
    finally:
        loop.remove_writer(fd)
