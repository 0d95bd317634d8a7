"""Live streams iterate on threads of their own (portal/live_threads.py): more live viewers than the shared pool
has threads (40) do not keep a sync endpoint waiting, and a stream's generator is closed when it ends."""

import threading
from collections.abc import Iterator

from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient

from portal.live_threads import iterate_live
from tests.fixtures.ports import wait_until

VIEWERS = 45


def test_live_viewers_hold_no_thread_of_the_shared_pool() -> None:
    app = FastAPI()
    release = threading.Event()
    closed: list[int] = []
    waiting: list[int] = []

    def follow(number: int) -> Iterator[bytes]:
        try:
            yield b"first chunk"
            waiting.append(number)
            release.wait(30)  # a live stream waiting for the camera's next segment
            yield b"next chunk"
        finally:
            closed.append(number)

    @app.get("/live/{number}")
    def live(number: int) -> StreamingResponse:
        return StreamingResponse(iterate_live(follow(number)), media_type="video/x-flv")

    @app.get("/sync")
    def sync() -> dict[str, bool]:  # a sync endpoint: runs on the shared pool
        return {"ok": True}

    order: list[str] = []
    started = threading.Semaphore(0)
    with TestClient(app) as client:

        def viewer(number: int) -> None:
            with client.stream("GET", f"/live/{number}") as answer:
                chunks = answer.iter_bytes()
                assert next(chunks) == b"first chunk"
                started.release()
                assert b"".join(chunks) == b"next chunk"
            order.append("viewer")

        threads = [threading.Thread(target=viewer, args=(n,)) for n in range(VIEWERS)]
        for thread in threads:
            thread.start()
        for _ in range(VIEWERS):
            assert started.acquire(timeout=30), "a viewer's stream did not start"
        wait_until(lambda: len(waiting) == VIEWERS, 30, message="every viewer's stream waiting for its next chunk")
        assert client.get("/sync").json() == {"ok": True}
        order.append("sync")
        release.set()
        for thread in threads:
            thread.join(30)
    assert order[0] == "sync" and order.count("viewer") == VIEWERS
    assert sorted(closed) == list(range(VIEWERS))  # every generator closed
