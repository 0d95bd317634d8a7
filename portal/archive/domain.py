"""The archive domain: ingest from boxes, cameras + timeline, playback/downloads, live; the retention sweep."""

from portal.archive.retention import start_sweeper
from portal.domains import Domain, TaskJob, task_job
from portal.routers import archive, cameras, ingest, live, shares, thumbnails
from portal.services import Services


def start_retention(services: Services) -> TaskJob | None:
    """The periodic retention sweep (None when ``retention_sweep_seconds`` <= 0, as in tests)."""
    return task_job(start_sweeper(services, services.settings.retention_sweep_seconds))


DOMAIN = Domain(
    name="archive",
    routers=(ingest.router, cameras.router, archive.router, live.router, shares.router, thumbnails.router),
    jobs=(start_retention,),
)
