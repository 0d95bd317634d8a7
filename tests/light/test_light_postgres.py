"""The light store and leases on PostgreSQL (what several portal workers share): the migration, one renewal
claim among concurrent requests, the insert race on the same key, the per-camera bound and pruning."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal import migrate
from portal.db import Database
from portal.fleet.provisioning import add_camera, create_device
from portal.light import store
from portal.light.lease import claim_renewal, lease_live
from portal.models import utcnow
from portal.models.light import LightSegment

RUN = "20261202T080000Z-abcdef"
pytestmark = pytest.mark.slow  # a PostgreSQL cluster and concurrent sessions, like the other concurrency tests


def test_claims_races_and_bounds_on_postgres(pg_url: str) -> None:
    db = Database(pg_url)
    try:
        migrate.upgrade(db)
        create_device(db, "box-pg", "box")
        add_camera(db, "box-pg", "cam-pg", "camera")
        now = utcnow()

        def claim(_: int) -> bool:
            with db.session() as s:
                return claim_renewal(s, "cam-pg", now, 30)

        with ThreadPoolExecutor(8) as pool:  # eight viewers' fetches at once: one of them asks the box
            assert sorted(pool.map(claim, range(8))) == [False] * 7 + [True]
        with db.session() as s:
            assert lease_live(s, "cam-pg", now + timedelta(seconds=35))
            assert not lease_live(s, "cam-pg", now + timedelta(seconds=45))
            assert claim_renewal(s, "cam-pg", now + timedelta(seconds=11), 30)  # a third later: ask again

        def put(seq: int) -> str:
            with db.session() as s:
                return store.store_segment(s, "cam-pg", RUN, seq % 3, 1.0, b"ts%d" % (seq % 3), now)

        with ThreadPoolExecutor(6) as pool:  # the same three keys twice each, concurrently
            outcomes = list(pool.map(put, range(6)))
        assert sorted(outcomes) == ["created"] * 3 + ["same"] * 3
        with db.session() as s:
            for seq in range(3, store.MAX_PER_CAMERA + 20):
                store.store_segment(s, "cam-pg", RUN, seq, 1.0, b"x", now)
        with db.session() as s:
            assert s.scalar(select(func.count()).select_from(LightSegment)) == store.MAX_PER_CAMERA
            assert store.prune(s, timedelta(seconds=60), now + timedelta(minutes=2)) == store.MAX_PER_CAMERA
    finally:
        db.dispose()
