"""What the portal's CLI commands share: the migrated database from DOZOR_* settings, and the error exit."""

import typer

from portal import migrate
from portal.config import PortalSettings
from portal.db import Database


def open_database() -> Database:
    settings = PortalSettings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url())
    migrate.upgrade(db)
    return db


def fail(exc: Exception) -> None:
    typer.echo(f"dozor: {exc}", err=True)
    raise typer.Exit(2)
