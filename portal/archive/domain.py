"""The archive domain: ingest from boxes, cameras + timeline, playback/downloads, live; the retention sweep."""

import asyncio
from dataclasses import dataclass

from portal.archive.retention import start_sweeper
from portal.domains import Domain
from portal.routers import archive, cameras, ingest, live
from portal.services import Services


@dataclass
class RetentionJob:
    task: asyncio.Task

    def stop(self) -> None:
        self.task.cancel()


def start_retention(services: Services) -> RetentionJob | None:
    """The periodic retention sweep (None when ``retention_sweep_seconds`` <= 0, as in tests)."""
    task = start_sweeper(services, services.settings.retention_sweep_seconds)
    return RetentionJob(task) if task is not None else None


DOMAIN = Domain(
    name="archive",
    routers=(ingest.router, cameras.router, archive.router, live.router),
    jobs=(start_retention,),
)
