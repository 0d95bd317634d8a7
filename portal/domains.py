"""How a domain plugs into the portal: one ``Domain`` value per domain, read by the app factory.

A domain lists its HTTP routers (in the order they must match), the background jobs its processes run
while the app is up (started in the lifespan, stopped in reverse order), and the operator-console pages it
links in the console's nav. Each domain package exposes it as ``DOMAIN`` in its ``domain.py``; the app
factory (portal/app.py ``DOMAINS``) names the modules. Nothing registers itself as an import side effect.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from fastapi import APIRouter, FastAPI

from portal.services import Services
from portal.web.templating import NavItem


class Job(Protocol):
    """A running background job (a consumer thread, a periodic task): stopped when the app shuts down."""

    def stop(self) -> None: ...


# Starts a job for these services; None when the job is disabled by the settings (e.g. no broker configured).
StartJob = Callable[[Services], Job | None]


@dataclass
class TaskJob:
    """A periodic job running as an asyncio task in the app's event loop."""

    task: asyncio.Task

    def stop(self) -> None:
        self.task.cancel()


def task_job(task: asyncio.Task | None) -> TaskJob | None:
    return TaskJob(task) if task is not None else None


@dataclass(frozen=True)
class Domain:
    name: str
    routers: tuple[APIRouter, ...] = ()
    jobs: tuple[StartJob, ...] = ()
    console_nav: tuple[NavItem, ...] = ()
    # App-wide hooks the domain needs, e.g. an exception handler (billing answers ServiceSuspended with 402).
    installs: tuple[Callable[[FastAPI], None], ...] = ()
