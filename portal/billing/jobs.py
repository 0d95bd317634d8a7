"""The billing job of a portal process: accrual catch-up, promised payments' expiry, cameras' kept depth.

Every portal worker runs it; accrual and expiry are exactly-once by their claims and idempotency keys, so
several workers (or a worker back after downtime) never charge a day twice.
"""

import asyncio
import logging
from datetime import datetime

from portal.billing import accrual, promised, retention
from portal.models import utcnow

log = logging.getLogger(__name__)


def tick(services, now: datetime | None = None) -> dict[str, int]:
    now = now or utcnow()
    posted = accrual.run(services.db, now)
    with services.db.session() as db:
        expired = promised.expire_due(db, now)
    changed = retention.refresh_and_tell(services)
    return {"accrued": posted, "promised_expired": expired, "retention_changed": len(changed)}


def start_billing(services, interval: float) -> asyncio.Task | None:
    """The periodic billing tick (None when ``interval`` <= 0). The first tick runs soon after start-up so a
    portal back from downtime catches up at once."""
    if interval <= 0:
        return None

    async def loop() -> None:
        delay = min(interval, 5.0)
        while True:
            await asyncio.sleep(delay)
            delay = interval
            try:
                totals = await asyncio.to_thread(tick, services)
                log.info("billing tick: %s", totals)
            except Exception:
                log.exception("billing tick failed")

    return asyncio.create_task(loop(), name="billing")
