"""The PostgreSQL fixtures: a real server, a fresh database per test."""

from __future__ import annotations

import sqlalchemy as sa

seen_databases: list[str] = []


def test_select_one(pg_url):
    engine = sa.create_engine(pg_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT 1")).scalar_one() == 1
        assert conn.execute(sa.text("SHOW server_version")).scalar_one().startswith(("15", "16", "17"))
    engine.dispose()


def test_each_test_gets_a_fresh_database(pg_url, pg_server):
    name = sa.make_url(pg_url).database
    assert name not in seen_databases
    seen_databases.append(name)
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).scalar_one() == 0
        conn.execute(sa.text("CREATE TABLE t (id int)"))
    engine.dispose()


def test_earlier_databases_are_dropped(pg_server, pg_url):
    names = {row[0] for row in pg_server.query("SELECT datname FROM pg_database")}
    assert sa.make_url(pg_url).database in names
    assert seen_databases, "runs after test_each_test_gets_a_fresh_database"
    assert not names & set(seen_databases)
