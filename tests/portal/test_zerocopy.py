"""The portal's uvicorn protocol with the ASGI zero-copy send: file bytes leave by sendfile, framed exactly."""

import os
import socket
import threading
from pathlib import Path

import httpx
import pytest

from portal import zerocopy
from portal.zerocopy import ZEROCOPY
from tests.fixtures.served import served

Part = bytes | tuple[int, int]  # bytes from memory, or (offset, count) of the file


def _app(path: Path, parts: list[Part], declared: int | None = None):
    """Answers every request with ``parts``, Content-Length ``declared`` (default: their length)."""
    length = sum(len(p) if isinstance(p, bytes) else p[1] for p in parts)

    async def app(scope, receive, send) -> None:
        assert ZEROCOPY in scope["extensions"]
        headers = [(b"content-length", str(declared or length).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        with path.open("rb") as handle:
            for part in parts:
                if isinstance(part, bytes):
                    await send({"type": "http.response.body", "body": part, "more_body": True})
                else:
                    offset, count = part
                    message = {"type": ZEROCOPY, "file": handle, "offset": offset, "count": count, "more_body": True}
                    await send(message)
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    return app


def _expected(data: bytes, parts: list[Part]) -> bytes:
    return b"".join(p if isinstance(p, bytes) else data[p[0] : p[0] + p[1]] for p in parts)


@pytest.fixture
def blob(tmp_path: Path) -> tuple[Path, bytes]:
    data = os.urandom(3 * 1024 * 1024 + 17)
    path = tmp_path / "blob"
    path.write_bytes(data)
    return path, data


def test_file_runs_and_memory_bytes_arrive_in_order_on_a_kept_alive_connection(blob: tuple[Path, bytes]) -> None:
    path, data = blob
    parts: list[Part] = [b"head" * 300_000, (0, 10), (1_000_000, 2_000_000), b"mid", (5, len(data) - 5), b"end"]
    with served(_app(path, parts), lifespan="off") as url, httpx.Client(base_url=url, timeout=30) as client:
        for _ in range(2):  # the second request on the same connection: the first one's framing was exact
            answer = client.get("/")
            assert answer.status_code == 200
            assert answer.content == _expected(data, parts)


def test_a_client_slower_than_the_socket_is_waited_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = os.urandom(24 * 1024 * 1024)  # more than the socket buffers on both sides hold
    path = tmp_path / "big"
    path.write_bytes(data)
    full = threading.Event()
    real_sendfile = os.sendfile

    def sendfile(*args: int) -> int:
        try:
            return real_sendfile(*args)
        except BlockingIOError:
            full.set()
            raise

    monkeypatch.setattr(zerocopy.os, "sendfile", sendfile)
    with served(_app(path, [(0, len(data))]), lifespan="off") as url:
        port = int(url.rsplit(":", 1)[1])
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
            sock.connect(("127.0.0.1", port))
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert full.wait(timeout=60), "the socket never filled"  # the client has not read a byte yet
            received = bytearray()
            while len(received) < len(data) + 100 and (chunk := sock.recv(1 << 20)):
                received += chunk
                if b"\r\n\r\n" in received and len(received) - received.index(b"\r\n\r\n") - 4 == len(data):
                    break
        head, body = bytes(received).split(b"\r\n\r\n", 1)
        assert b"content-length: %d" % len(data) in head.lower()
        assert body == data


def test_a_file_shorter_than_the_response_cuts_the_connection(blob: tuple[Path, bytes]) -> None:
    path, data = blob
    short, whole = _app(path, [(len(data) - 100, 1000)]), _app(path, [(0, len(data))])  # 900 bytes past the end

    async def app(scope, receive, send) -> None:
        await (short if scope["path"] == "/short" else whole)(scope, receive, send)

    with served(app, lifespan="off") as url:
        with httpx.Client(base_url=url, timeout=30) as client, pytest.raises(httpx.RemoteProtocolError):
            client.get("/short")  # 100 of 1,000 bytes, then the connection closes: never a wrong or hanging body
        with httpx.Client(base_url=url, timeout=30) as client:
            assert client.get("/whole").content == data  # the server goes on


def test_more_file_bytes_than_the_content_length_are_refused(blob: tuple[Path, bytes]) -> None:
    path, data = blob
    with served(_app(path, [(0, 1000)], declared=10), lifespan="off") as url:
        with httpx.Client(base_url=url, timeout=30) as client, pytest.raises(httpx.RemoteProtocolError):
            client.get("/")
