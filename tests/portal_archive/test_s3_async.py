"""S3 reads on the event loop (portal/archive/s3_async.py) and the buffer pool behind them (buffers.py).

Against SeaweedFS on both event loops the portal runs on (asyncio in tests, uvloop under uvicorn); the store's
failure modes (a kept-alive connection closed, 5xx, a cut answer, chunked framing) against a scripted server.
"""

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from portal.archive import s3_async
from portal.archive.buffers import GRAIN, BufferPool
from portal.archive.progressive import Layout, Piece, aiter_range
from portal.archive.s3_async import AsyncS3Reader, ReadSession, Unframed
from portal.archive.storage import ObjectNotFound, open_storage
from tests.fixtures.loops import run_in_own_loop


@pytest.mark.parametrize("loop_kind", ["asyncio", "uvloop"])
def test_loop_reads_agree_with_the_threaded_path(s3, loop_kind: str) -> None:
    storage = open_storage(s3.storage_url(s3.new_bucket(), prefix="tenant"))
    assert storage.async_reads is not None
    objects = {f"cam1/seg{i}.m4s": bytes([i]) * (300_000 + 7919 * i) for i in range(24)}
    for key, body in objects.items():
        storage.put(key, body)

    async def main() -> None:
        reads = storage.async_reads.session()
        got = await asyncio.gather(*(reads.read(key) for key in objects))  # more at once than one connection
        assert [bytes(g) for g in got] == list(objects.values())
        assert bytes(await reads.read_range("cam1/seg3.m4s", 1000, 5000)) == objects["cam1/seg3.m4s"][1000:6000]
        with pytest.raises(ObjectNotFound):
            await reads.read("cam1/missing.m4s")
        with pytest.raises(OSError, match="shorter"):
            await reads.read_range("cam1/seg0.m4s", 299_000, 5000)
        assert bytes(await reads.read("cam1/seg1.m4s")) == objects["cam1/seg1.m4s"]  # the connections still work
        reads.close()

    run_in_own_loop(main(), loop_kind)


def test_a_download_that_keeps_every_chunk_gets_the_right_bytes(s3) -> None:
    """The buffers are pooled: a consumer that keeps chunks must still see its own bytes, not a later object's."""
    storage = open_storage(s3.storage_url(s3.new_bucket()))
    # More bytes than one read-ahead window (20 MiB), so buffers of chunks already sent are taken again.
    objects = {f"o{i}": bytes([65 + i]) * 100 + bytes([i]) * 700_000 for i in range(40)}
    for key, body in objects.items():
        storage.put(key, body)
    header, pieces, at = b"HEAD", [], 4
    for key, body in objects.items():
        pieces.append(Piece(key, 100, len(body) - 100, at, len(body)))
        at += len(body) - 100
    plan = Layout(header, pieces, at, '"x"', 60.0)
    expected = header + b"".join(body[100:] for body in objects.values())

    async def main() -> list:
        return [chunk async for chunk in aiter_range(storage, plan, 0, plan.size - 1)]

    kept = run_in_own_loop(main(), "uvloop")
    assert b"".join(kept) == expected
    assert any(isinstance(chunk, memoryview) for chunk in kept)  # the event loop path was the one taken


def test_a_buffer_still_viewed_is_never_handed_out_again() -> None:
    pool = BufferPool()
    first = pool.take(1000)
    owner = first.obj
    assert len(first) == 1000 and len(owner) == GRAIN
    kept = first[10:20]  # a consumer keeps a slice of the chunk
    pool.give(first)
    del first
    second = pool.take(1000)
    assert second.obj is not owner  # still viewed through `kept`: not reused
    reused = second.obj
    pool.give(second)
    del second
    third = pool.take(900)
    assert third.obj is reused  # nothing views it any more: reused, not allocated
    assert kept.obj is owner and bytes(kept) == bytes(10)  # the kept slice was never written over
    del kept
    assert pool.take(1000).obj is owner  # kept idle while viewed, taken once the view is gone
    pool.give(memoryview(b"not ours"))
    pool.give(b"nor this")
    assert pool.idle_bytes == 0


class _Script:
    """A store that answers each request on a connection with the next scripted bytes (None: close at once)."""

    def __init__(self, answers: list[bytes | None]) -> None:
        self.answers = answers
        self.connections = 0
        self.requests = 0
        self.handlers: set[asyncio.Task] = set()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.handlers.add(asyncio.current_task())
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                self.requests += 1
                answer = self.answers.pop(0) if self.answers else None
                if answer is None:
                    break
                writer.write(answer)
                await writer.drain()
                if b"Connection: close" in answer or b"Content-Length" not in answer:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def _ok(body: bytes, status: str = "200 OK") -> bytes:
    return f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body


def _against(answers: list[bytes | None], reads: Callable[[ReadSession], Awaitable]) -> tuple[object, _Script]:
    script = _Script(answers)

    async def main():
        server = await asyncio.start_server(script.handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader = AsyncS3Reader(f"http://127.0.0.1:{port}", lambda key, _range: (f"http://127.0.0.1:{port}/b/{key}", {}))
        session = reader.session()
        try:
            return await reads(session)
        finally:
            session.close()
            server.close()
            for handler in script.handlers:
                handler.cancel()
            await asyncio.gather(*script.handlers, return_exceptions=True)

    return run_in_own_loop(main()), script


def test_a_closed_keep_alive_connection_is_replaced_without_an_error() -> None:
    async def two(reader: ReadSession):
        first = bytes(await reader.get("k1", "k1"))
        return first, bytes(await reader.get("k2", "k2"))

    # The first connection answers once and is then closed by the store (idle keep-alive timeout).
    got, script = _against([_ok(b"one"), None, _ok(b"two")], two)
    assert got == (b"one", b"two") and script.connections == 2


def test_server_errors_are_retried_and_then_reported(monkeypatch) -> None:
    monkeypatch.setattr(s3_async, "BACKOFF", 0.0)

    async def one(reader: ReadSession):
        return bytes(await reader.get("k", "k"))

    got, script = _against([_ok(b"busy", "503 Slow Down"), _ok(b"fine")], one)
    assert got == b"fine" and script.requests == 2
    with pytest.raises(OSError, match="HTTP 503"):
        _against([_ok(b"busy", "503 Slow Down")] * 3, one)
    with pytest.raises(OSError, match="HTTP 403"):
        _against([_ok(b"<Error>AccessDenied</Error>", "403 Forbidden")], one)


def test_a_cut_answer_fails_after_the_retries_and_chunked_is_left_to_the_threaded_path(monkeypatch) -> None:
    monkeypatch.setattr(s3_async, "BACKOFF", 0.0)

    async def one(reader: ReadSession):
        return bytes(await reader.get("k", "k"))

    cut = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n" + b"x" * 10
    with pytest.raises(OSError, match="after 3 attempts.*closed the connection"):
        _against([cut, cut, cut], one)
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
    with pytest.raises(Unframed):
        _against([chunked], one)
