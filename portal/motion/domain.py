"""The motion domain: the boxes' motion reports (ingest), the events API and thumbnails, notifications, and
removing events past their camera's retention."""

from portal.domains import Domain, TaskJob, task_job
from portal.motion.retention import start_pruning
from portal.routers import motion
from portal.services import Services


def start_motion_retention(services: Services) -> TaskJob | None:
    return task_job(start_pruning(services))


DOMAIN = Domain(name="motion", routers=(motion.ingest_router, motion.router), jobs=(start_motion_retention,))
