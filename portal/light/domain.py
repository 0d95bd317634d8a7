"""The light live view domain: the boxes' relayed sub-stream segments, the viewers' playlist, and dropping
segments older than ``light_keep_seconds``."""

import logging
from datetime import timedelta

from portal.domains import Domain, TaskJob, task_job
from portal.light.store import prune
from portal.models import utcnow
from portal.periodic import start_periodic
from portal.routers import light
from portal.services import Services

log = logging.getLogger(__name__)
PRUNE_SECONDS = 15.0


def start_light_pruning(services: Services) -> TaskJob | None:
    keep = timedelta(seconds=services.settings.light_keep_seconds)

    def work() -> int:
        with services.db.session() as db:
            return prune(db, keep, utcnow())

    return task_job(start_periodic("light segments", PRUNE_SECONDS, work, log=log, report=lambda _n: False))


DOMAIN = Domain(name="light", routers=(light.ingest_router, light.router), jobs=(start_light_pruning,))
