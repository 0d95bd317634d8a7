"""The billing job of a portal process: accrual catch-up, promised payments' expiry, cameras' kept depth.

Every portal worker runs it; accrual and expiry are exactly-once by their claims and idempotency keys, so
several workers (or a worker back after downtime) never charge a day twice.
"""

import asyncio
import logging
from datetime import datetime

from portal.billing import accrual, promised, retention
from portal.models import utcnow
from portal.periodic import start_periodic

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
    return start_periodic(
        "billing tick", interval, lambda: tick(services), log=log, first_delay=min(interval, 5.0), report=lambda _: True
    )
