"""The worker threads segment uploads run their blocking parts on (database, object store), apart from the
default pool the other routes use.

A portal worker is one Python process: every thread takes turns on the GIL, and a thread coming back from a
database round trip waits behind all runnable ones. Twenty-four uploads in the default 40-thread pool made the
MQTT consumer's writer wait ~100 ms per statement, so telemetry fell minutes behind (docs/scale.md). Uploads
beyond ``ingest_threads`` wait on the event loop instead (no thread, no GIL) and go through in turn.
"""

import asyncio
from collections.abc import Callable
from functools import partial
from typing import TypeVar

import anyio
import anyio.to_thread

T = TypeVar("T")
_limiters: dict[tuple[int, int], anyio.CapacityLimiter] = {}


def limiter(threads: int) -> anyio.CapacityLimiter:
    """One limiter per size and event loop (tests run several apps, each on its own loop), made on first use."""
    key = (threads, id(asyncio.get_running_loop()))
    found = _limiters.get(key)
    if found is None:
        found = _limiters[key] = anyio.CapacityLimiter(threads)
    return found


async def run(threads: int, func: Callable[..., T], *args: object) -> T:
    """``func(*args)`` on one of at most ``threads`` ingest threads."""
    return await anyio.to_thread.run_sync(partial(func, *args), limiter=limiter(threads))
