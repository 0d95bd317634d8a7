"""Schema migrations (Alembic), run by `dozor portal migrate` and at portal start-up."""

from pathlib import Path

from alembic import command
from alembic.config import Config

from portal.db import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(db: Database) -> None:
    """Bring the schema to the newest revision of every branch; safe to run by several workers."""
    cfg = alembic_config(db.url)
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # One migrator at a time across workers; released at commit.
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7710001)")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")


def revision(url: str, message: str, head: str = "head") -> None:
    """Developer helper: autogenerate a migration from the models."""
    cfg = alembic_config(url)
    command.revision(cfg, message=message, autogenerate=True, head=head)
