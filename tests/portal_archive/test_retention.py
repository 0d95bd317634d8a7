"""Retention: video past the camera's retention leaves store and index; newer stays; concurrent sweepers agree."""

import os
import threading
import time
from collections.abc import Iterator
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
    with w.services.db.session() as db:
        old_init = db.scalar(select(ArchiveRun.init_key).where(ArchiveRun.run_id.like("%01d000")))
    totals = retention.sweep(w.services, now)
    # The old run's init stays: its later segments (up to the new run's start) may still come from a backlog.
    assert totals["segments"] == 5 and totals["runs"] == 0
    assert _keys(w) == kept_keys | {new_init, old_init}
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
    assert sum(r["runs"] for r in results) == 0  # the old run's init waits for a successor before the cutoff
    with w.services.db.session() as db:
        assert db.scalar(select(func.count()).select_from(ArchiveSegment)) == 3
    assert len(_keys(w)) == 5  # three segments and the inits of both runs


def test_a_long_runs_init_stays_while_its_segments_inside_retention_still_arrive(world: World) -> None:
    """Backlog: a run began 10 days ago (cam1 keeps 7); its old segments are swept before its recent ones arrive."""
    w = world
    now = datetime.now(UTC).replace(microsecond=0)
    long_run = run_id(now - timedelta(days=10), "10a000")
    w.upload_run("cam1", long_run, now - timedelta(days=10), 2)
    totals = retention.sweep(w.services, now)
    assert totals["segments"] == 2 and totals["runs"] == 0
    w.upload_run("cam1", long_run, now - timedelta(days=2), 2, first_seq=100_000)  # the backlog reaches the portal
    with w.services.db.session() as db:
        run = db.scalar(select(ArchiveRun).where(ArchiveRun.run_id == long_run))
        assert run is not None and run.init_key, "the run's init was deleted: its later segments cannot play"
        init_key = run.init_key
    assert init_key in _keys(w)
    assert storage_of(w.services).read(init_key) == w.media.init


def test_an_empty_runs_init_goes_once_a_later_run_began_before_the_cutoff(world: World) -> None:
    w = world
    now = datetime.now(UTC).replace(microsecond=0)
    first, second, current = now - timedelta(days=10), now - timedelta(days=9), now - timedelta(hours=1)
    for start, suffix in ((first, "f10000"), (second, "f20000"), (current, "f30000")):
        w.upload_run("cam1", run_id(start, suffix), start, 2)
    totals = retention.sweep(w.services, now)
    assert totals["segments"] == 4 and totals["runs"] == 1
    with w.services.db.session() as db:
        left = set(db.scalars(select(ArchiveRun.run_id)))
    assert left == {run_id(second, "f20000"), run_id(current, "f30000")}


@pytest.fixture(params=["Asia/Novokuznetsk", "America/Los_Angeles"])
def host_zone(request: pytest.FixtureRequest) -> Iterator[str]:
    """The portal host's local zone (TZ), restored afterwards."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    yield request.param
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_the_sweeper_in_another_host_zone_deletes_nothing_inside_retention(world: World, host_zone: str) -> None:
    """20:00 UTC is 03:00 next day in Novokuznetsk (+7) and 12:00 the same day in Los Angeles (-8): local dates and
    times must never be compared with the UTC days of object keys and the UTC starts of run ids."""
    w = world
    day = datetime.now(UTC).date() - timedelta(days=1)
    now = datetime(day.year, day.month, day.day, 20, 0, tzinfo=UTC)
    cutoff = now - timedelta(days=7)  # cam1 keeps 7 days
    past = cutoff - timedelta(days=1, hours=2)
    w.upload_run("cam1", run_id(past, "0bd000"), past, 2)
    inside = cutoff + timedelta(hours=1)  # the same UTC day as the cutoff, the next day in Novokuznetsk
    w.upload_run("cam1", run_id(inside, "15e000"), inside, 3)
    with w.services.db.session() as db:
        kept = set(db.scalars(select(ArchiveSegment.object_key).where(ArchiveSegment.start >= cutoff)))
        kept |= set(db.scalars(select(ArchiveRun.init_key)))
    assert datetime.now().astimezone().utcoffset() != timedelta(0), f"TZ={host_zone} took no effect"
    local_now = now.astimezone()  # what a zone-naive caller hands the sweeper: the host's local time
    totals = retention.sweep(w.services, local_now)
    assert totals["segments"] == 2, totals
    assert kept <= _keys(w), f"deleted inside retention under TZ={host_zone}: {sorted(kept - _keys(w))}"
    with w.services.db.session() as db:
        assert db.scalar(select(func.count()).select_from(ArchiveSegment)) == 3
