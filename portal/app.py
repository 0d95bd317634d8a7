"""The portal's ASGI application: settings -> services -> each domain's routers, jobs and console pages."""

import gc
import importlib
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import text

from portal import migrate, route_table
from portal.config import PortalSettings
from portal.db import Database
from portal.domains import Domain, Job
from portal.services import Services

# One line per domain: the module holding its DOMAIN (portal/domains.py). Routers match in this order;
# jobs start in this order and stop in reverse. Forpost stays last: /api/{Call} matches any /api/ path.
DOMAINS = (
    "portal.cabinet.domain",
    "portal.fleet.domain",
    "portal.archive.domain",
    "portal.billing.domain",
    "portal.support.domain",
    "portal.notify.domain",
    "portal.motion.domain",
    "portal.light.domain",
    "portal.ota.domain",
    "portal.forpost.domain",
)


def load_domains() -> list[Domain]:
    domains = [importlib.import_module(path).DOMAIN for path in DOMAINS]
    for path, domain in zip(DOMAINS, domains, strict=True):
        if not isinstance(domain, Domain):
            raise TypeError(f"{path}.DOMAIN is not a portal.domains.Domain")
    return domains


def build_services(settings: PortalSettings) -> Services:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url())
    migrate.upgrade(db)
    services = Services(settings=settings, db=db)
    from portal.archive.storage import open_storage

    services.storage = open_storage(settings.resolved_storage_url())
    return services


_heap_frozen = False


def freeze_startup_heap() -> None:
    """Move what the process holds once started (modules, routes, the ORM's metadata: ~200,000 objects) out of the
    garbage collector's sight. It lives as long as the process; scanning it made every full collection stall the
    event loop ~45 ms (every request in flight, live streams), and now those scan only what came after. Once per
    process: a process holds one app (a test process that makes many freezes the first one's heap only)."""
    global _heap_frozen
    if not _heap_frozen:
        _heap_frozen = True
        gc.collect()  # garbage is collected, not frozen
        gc.freeze()


def create_app(settings: PortalSettings | None = None) -> FastAPI:
    settings = settings or PortalSettings()
    settings.check_secret_key()  # also for workers started by uvicorn directly, not through `dozor portal serve`
    services = build_services(settings)
    domains = load_domains()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        running: list[Job] = []
        for domain in domains:
            for start in domain.jobs:
                job = start(services)
                if job is not None:
                    running.append(job)
        freeze_startup_heap()
        yield
        for job in reversed(running):
            job.stop()
        services.db.dispose()

    app = FastAPI(title="Dozor portal", version="0.1.0", lifespan=lifespan)
    app.state.services = services
    from portal.body_limit import BodyLimitMiddleware

    app.add_middleware(BodyLimitMiddleware)  # every body capped before any route reads it

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        """Liveness and database reachability, for load balancers and the demo's readiness wait."""
        with services.db.session() as session:
            session.execute(text("SELECT 1"))
        return {"status": "ok"}

    from portal import metrics

    metrics.install(app)
    _install_domains(app, domains)
    return app


def _install_domains(app: FastAPI, domains: list[Domain]) -> None:
    from portal.web import guards
    from portal.web.templating import register_operator_nav

    guards.install(app)
    for domain in domains:
        for install in domain.installs:
            install(app)
        for router in domain.routers:
            route_table.include(app, router)
        for item in domain.console_nav:
            register_operator_nav(item.key, item.title, item.href)
    _mount_static(app)


def _include_payments_routers(app: FastAPI) -> None:
    """Online payments: JSON API + YooKassa webhook, cabinet top-up/auto-payment pages, operator payments."""
    from portal.routers import payments, payments_pages

    for router in (payments.router, payments_pages.router, payments_pages.operator):
        route_table.include(app, router)


def _mount_static(app: FastAPI) -> None:
    """/static serves portal/static: css/ and js/ (web UI), vendor/ (hls.js, owned by the archive domain)."""
    from pathlib import Path

    from fastapi.staticfiles import StaticFiles

    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
