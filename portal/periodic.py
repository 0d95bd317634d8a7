"""One periodic job loop for every domain (retention, billing, payments, notification delivery).

The work runs in a worker thread (it does blocking database and network calls) so the event loop keeps
serving requests; a failed pass is logged and the next one runs on schedule. Several portal processes run
the same jobs: each job's own work must be safe for that (row claims with SKIP LOCKED, idempotency keys).
"""

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from portal import metrics


def start_periodic(
    name: str,
    interval: float,
    work: Callable[[], Any],
    *,
    log: logging.Logger,
    first_delay: float | None = None,
    report: Callable[[Any], bool] = bool,
) -> asyncio.Task | None:
    """Run ``work()`` every ``interval`` seconds (the first time after ``first_delay``, default ``interval``);
    None when ``interval`` <= 0 (jobs switched off, as in most tests). A pass whose result ``report`` finds
    worth saying is logged at INFO."""
    if interval <= 0:
        return None

    async def loop() -> None:
        delay = interval if first_delay is None else first_delay
        while True:
            await asyncio.sleep(delay)
            delay = interval
            started = time.monotonic()
            try:
                result = await asyncio.to_thread(work)
            except Exception:
                metrics.job_pass(name, time.monotonic() - started, failed=True)
                log.exception("%s failed", name)
                continue
            metrics.job_pass(name, time.monotonic() - started, failed=False)
            if report(result):
                log.info("%s: %s", name, result)

    return asyncio.create_task(loop(), name=name)
