"""Threads for live streams: a stream that follows a camera (Forpost's FLV) blocks between its chunks for as long
as the camera takes to record the next segment, so iterating it on the shared thread pool (anyio's default, ~40
threads, which every sync endpoint and dependency uses) would hold one of those threads per viewer: forty live
viewers and the whole API waits. Such streams iterate on a limiter of their own instead.

The limiter is per event loop (an anyio ``RunVar``), as anyio's own default is.
"""

from collections.abc import AsyncIterator, Iterator
from typing import TypeVar, cast

import anyio.to_thread
from anyio import CapacityLimiter
from anyio.lowlevel import RunVar

LIVE_STREAM_THREADS = 256  # live viewers one portal process follows at once; more wait for a thread
_LIMITER: RunVar[CapacityLimiter] = RunVar("dozor_live_stream_limiter")
_DONE = object()
T = TypeVar("T")


def _limiter() -> CapacityLimiter:
    try:
        return _LIMITER.get()
    except LookupError:
        limiter = CapacityLimiter(LIVE_STREAM_THREADS)
        _LIMITER.set(limiter)
        return limiter


async def iterate_live(iterator: Iterator[T]) -> AsyncIterator[T]:
    """``iterator``'s items for a StreamingResponse, each ``next`` on a live-stream thread; closed at the end
    (the client gone, too), so its generator's clean-up (a remuxer subprocess) runs."""
    limiter = _limiter()
    try:
        while True:
            item = await anyio.to_thread.run_sync(next, iterator, _DONE, limiter=limiter)
            if item is _DONE:
                return
            yield cast(T, item)
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(close, limiter=limiter)
