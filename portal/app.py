"""The portal's ASGI application: settings -> services -> routers per domain."""

from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import text

from portal import migrate
from portal.config import PortalSettings
from portal.db import Database
from portal.services import Services


def build_services(settings: PortalSettings) -> Services:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url())
    migrate.upgrade(db)
    services = Services(settings=settings, db=db)
    from portal.archive.storage import open_storage

    services.extra["storage"] = open_storage(settings.resolved_storage_url())
    return services


def create_app(settings: PortalSettings | None = None) -> FastAPI:
    settings = settings or PortalSettings()
    services = build_services(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        from portal.fleet.link import start_fleet_link

        fleet = start_fleet_link(services)  # MQTT consumer + services.extra["commands"]
        from portal.archive.retention import start_sweeper

        sweeper = start_sweeper(services, settings.retention_sweep_seconds)
        from portal.notify.worker import start_worker

        notifier = start_worker(services, settings.notify_worker_seconds)
        yield
        if notifier is not None:
            notifier.cancel()
        if sweeper is not None:
            sweeper.cancel()
        if fleet is not None:
            fleet.stop()
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

    _include_routers(app)
    return app


def _include_routers(app: FastAPI) -> None:
    """Every domain's router; each domain owns its module under portal/routers/."""
    from portal.routers import account, auth, operator, web
    from portal.web import guards

    guards.install(app)
    app.include_router(auth.router)
    app.include_router(auth.pages)
    app.include_router(web.router)
    app.include_router(account.router)
    app.include_router(operator.router)
    app.include_router(operator.api)
    _include_fleet_routers(app)
    _include_archive_routers(app)
    _include_support_routers(app)
    _include_notify_routers(app)
    _include_forpost_routers(app)
    _mount_static(app)


def _mount_static(app: FastAPI) -> None:
    """/static serves portal/static: css/ and js/ (web UI), vendor/ (hls.js, owned by the archive domain)."""
    from pathlib import Path

    from fastapi.staticfiles import StaticFiles

    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")


def _include_archive_routers(app: FastAPI) -> None:
    """Ingest (boxes), cameras + timeline, archive playback/downloads, live (the archive domain)."""
    from portal.routers import archive, cameras, ingest, live

    app.include_router(ingest.router)
    app.include_router(cameras.router)
    app.include_router(archive.router)
    app.include_router(live.router)


def _include_fleet_routers(app: FastAPI) -> None:
    from portal.routers import fleet, operator_fleet

    app.include_router(fleet.router)
    app.include_router(operator_fleet.router)


def _include_support_routers(app: FastAPI) -> None:
    """Support desk (docs/support.md): JSON API, subscriber and visitor pages, live chat, operator console."""
    from portal.routers import operator_support, operator_support_api, support, support_chat, support_pages

    for module in (support, support_pages, support_chat, operator_support, operator_support_api):
        for router in module.ROUTERS:
            app.include_router(router)


def _include_notify_routers(app: FastAPI) -> None:
    """Notification centre (docs/notify.md): JSON API, unsubscribe links, cabinet feed, operator console."""
    from portal.routers import notify, notify_pages, operator_notify

    for module in (notify, notify_pages, operator_notify):
        for router in module.ROUTERS:
            app.include_router(router)


def _include_forpost_routers(app: FastAPI) -> None:
    """Forpost Mobile API: /api/{Call} (last: it matches any single-segment /api/ path) and translation URLs."""
    from portal.routers import forpost, translations

    app.include_router(translations.router)
    app.include_router(forpost.router)
