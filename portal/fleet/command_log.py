"""How long the portal keeps the commands it sent to boxes, and the job that forgets older ones.

Every command is a `device_commands` row: the operator's audit trail ("who rebooted box 17 last week") and the
record a box's late answer is matched against. Rows that can still change (`sent`) are never removed. Finished
ones are kept `command_log_days`; `live.light` lease renewals, one every ~10 s per watched camera
(docs/live-light.md), only a day — they say nothing an operator asks about later, and would otherwise be most of
the table. Safe with many workers: each pass is one DELETE of rows no one else changes.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete

from portal.db import Database
from portal.domains import TaskJob, task_job
from portal.models import DeviceCommand, utcnow
from portal.periodic import start_periodic
from portal.services import Services

log = logging.getLogger("portal.fleet.commands")
HOUSEKEEPING = ("live.light",)
HOUSEKEEPING_KEEP = timedelta(days=1)


def prune(database: Database, keep_days: int, now: datetime | None = None) -> int:
    """Delete finished commands past their keeping time; the number of rows removed."""
    now = now or utcnow()
    finished = DeviceCommand.status != "sent"
    past = DeviceCommand.created_at < now - timedelta(days=keep_days)
    chatter = DeviceCommand.name.in_(HOUSEKEEPING) & (DeviceCommand.created_at < now - HOUSEKEEPING_KEEP)
    with database.session() as db:
        result = db.execute(delete(DeviceCommand).where(finished, past | chatter))
        return cast(CursorResult[Any], result).rowcount or 0  # a DELETE's result is a cursor result


def start_pruning(services: Services) -> TaskJob | None:
    settings = services.settings
    return task_job(
        start_periodic(
            "command log",
            settings.command_log_sweep_seconds,
            lambda: prune(services.db, settings.command_log_days),
            log=log,
        )
    )
