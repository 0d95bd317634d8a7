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
    return Services(settings=settings, db=db)


def create_app(settings: PortalSettings | None = None) -> FastAPI:
    settings = settings or PortalSettings()
    services = build_services(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        services.db.dispose()

    app = FastAPI(title="Dozor portal", version="0.1.0", lifespan=lifespan)
    app.state.services = services

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
    from portal.routers import auth, operator
    from portal.web import guards

    guards.install(app)
    app.include_router(auth.router)
    app.include_router(operator.router)
    _mount_static(app)


def _mount_static(app: FastAPI) -> None:
    """/static serves portal/static: css/ and js/ (web UI), vendor/ (hls.js, owned by the archive domain)."""
    from pathlib import Path

    from fastapi.staticfiles import StaticFiles

    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
