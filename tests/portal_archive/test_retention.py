"""Retention: video past the camera's retention leaves store and index; newer stays; concurrent sweepers agree."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.archive import retention
from portal.archive.storage import storage_of
from portal.models import ArchiveRun, ArchiveSegment, ArchiveSpan
from tests.portal_archive.conftest import World, run_id


def _seed_old_and_new(w: World, old_count: int) -> tuple[datetime, datetime]:
    now = datetime.now(UTC).replace(microsecond=0)
    old = now - timedelta(days=8)  # cam1 keeps 7 days
    new = now - timedelta(hours=1)
    w.upload_run("cam1", run_id(old, "01d000"), old, old_count)
    w.upload_run("cam1", run_id(new, "ae0000"), new, 3)
    return now, new


def _keys(w: World) -> set[str]:
    return set(storage_of(w.services).list("cam1/"))


def test_sweep_removes_only_past_retention(world: World) -> None:
    w = world
    now, new = _seed_old_and_new(w, 5)
    with w.services.db.session() as db:
        kept_keys = set(db.scalars(select(ArchiveSegment.object_key).where(ArchiveSegment.start >= new)))
        new_init = db.scalar(select(ArchiveRun.init_key).where(ArchiveRun.run_id.like("%ae0000")))
    totals = retention.sweep(w.services, now)
    assert totals["segments"] == 5 and totals["runs"] == 1
    assert _keys(w) == kept_keys | {new_init}
    with w.services.db.session() as db:
        assert db.scalar(select(func.count()).select_from(ArchiveSegment)) == 3
        assert [(s.start, s.end) for s in db.scalars(select(ArchiveSpan))] == [(new, new + timedelta(seconds=18))]
    assert retention.sweep(w.services, now) == {"segments": 0, "runs": 0, "objects": 0}


@pytest.mark.slow  # two sweepers racing on PostgreSQL
def test_two_sweepers_at_once_on_postgres(pg_world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    w = pg_world
    now, _ = _seed_old_and_new(w, 40)
    monkeypatch.setattr(retention, "BATCH", 3)  # many small batches, so the two really interleave
    results, errors = [], []

    def run() -> None:
        try:
            results.append(retention.sweep(w.services, now))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(r["segments"] for r in results) == 40  # each segment claimed by exactly one sweeper
    assert sum(r["runs"] for r in results) == 1
    with w.services.db.session() as db:
        assert db.scalar(select(func.count()).select_from(ArchiveSegment)) == 3
    assert len(_keys(w)) == 4  # three segments and the init of the newer run
