"""Migration 0006_access on PostgreSQL and SQLite: existing transparent sessions become `auth = ip`, and codes
already sitting in plain text in the SMS outbox are masked."""

import pytest
import sqlalchemy as sa
from alembic import command

from portal.db import Database
from portal.migrate import alembic_config


def _migrate(db: Database, target: str) -> None:
    cfg = alembic_config(db.url)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, target)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_upgrade_marks_transparent_sessions_and_masks_old_codes(backend, request, tmp_path) -> None:
    url = request.getfixturevalue("pg_url") if backend == "postgresql" else f"sqlite:///{tmp_path / 'p.sqlite3'}"
    db = Database(url)
    try:
        _migrate(db, "0004_cabinet")
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO contracts (number, password_hash, status, name, tz, flat, created_at) "
                    "VALUES ('100', '', 'active', '', 'UTC', '', CURRENT_TIMESTAMP)"
                )
            )
            for token, kind in (("a" * 64, "transparent"), ("b" * 64, "web")):
                conn.execute(
                    sa.text(
                        "INSERT INTO login_sessions (token_hash, contract_id, kind, ip, user_agent, created_at, "
                        "last_seen, expires_at, revoked) SELECT :t, id, :k, '', '', CURRENT_TIMESTAMP, "
                        "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, false FROM contracts"
                    ),
                    {"t": token, "k": kind},
                )
            conn.execute(
                sa.text(
                    "INSERT INTO outbox_messages (channel, recipient, text, purpose, status, gateway, error, "
                    "created_at)"
                    " VALUES ('sms', '+79050000000', 'Дозор: код восстановления пароля 482915. Договор 100.',"
                    " 'recovery', 'outbox', 'outbox', '', CURRENT_TIMESTAMP)"
                )
            )
        _migrate(db, "heads")
        with db.engine.connect() as conn:
            auth = dict(conn.execute(sa.text("SELECT kind, auth FROM login_sessions")).all())
            text, body = conn.execute(sa.text("SELECT text, body FROM outbox_messages")).one()
        assert auth == {"transparent": "ip", "web": "password"}
        assert text == "Дозор: код восстановления пароля ••••••. Договор 100." and body is None
    finally:
        db.dispose()
