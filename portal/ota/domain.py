"""The OTA domain: bundle uploads, rollouts and their periodic advance, `ota` events from boxes."""

from __future__ import annotations

import logging

from portal.domains import Domain, TaskJob, task_job
from portal.ota import rollout
from portal.periodic import start_periodic
from portal.routers import operator_ota, ota
from portal.services import Services
from portal.web.templating import NavItem

log = logging.getLogger("portal.ota")


def start_rollouts(services: Services) -> TaskJob | None:
    """Feed the boxes' `ota` events into their targets, and advance rollouts every `ota_rollout_seconds`."""
    if services.fleet is not None:  # the fleet domain started before us (DOMAINS order)
        services.fleet.consumer.event_hooks.append(rollout.apply_event)

    def work() -> dict[str, int]:
        with services.db.session() as session:
            return rollout.advance(session, services.commands, services.settings.public_url)

    interval = services.settings.ota_rollout_seconds
    return task_job(start_periodic("ota rollouts", interval, work, log=log, report=lambda r: any(r.values())))


DOMAIN = Domain(
    name="ota",
    routers=(ota.router, operator_ota.router),
    jobs=(start_rollouts,),
    console_nav=(NavItem("ota", "Обновления", "/operator/ota"),),
)
