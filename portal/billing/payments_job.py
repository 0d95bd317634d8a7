"""The payments job of a portal process: reconcile open payments and refunds, then run auto-payments.

Several workers may run it at once: settling is locked and idempotent, an auto-payment attempt is unique
per contract and day (see payments.py, autopay.py).
"""

import asyncio
import logging

from portal.billing import autopay
from portal.billing.payments import reconcile
from portal.billing.provider import gateway_of
from portal.models import utcnow
from portal.periodic import start_periodic

log = logging.getLogger(__name__)


def run_once(services) -> dict:
    gateway = gateway_of(services)
    now = utcnow()
    counts = reconcile(services.db, gateway, now, min_age=services.settings.payments_settle_after)
    counts["autopay"] = autopay.run(services.db, gateway, services.settings, now)
    return counts


def start_payments_job(services, interval: float) -> asyncio.Task | None:
    """Periodic, like the retention sweeper (None when `interval` <= 0, as in most tests)."""
    return start_periodic(
        "payments job",
        interval,
        lambda: run_once(services),
        log=log,
        report=lambda counts: bool(counts["checked"] or counts["autopay"]),
    )
