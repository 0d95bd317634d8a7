"""Byte budget and a nearly full filesystem, while recording from the RTSP simulator."""

import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from edge.archive.reconcile import ReconcileRefused, reconcile
from tests.fixtures.ports import wait_until

pytestmark = pytest.mark.slow  # records from the RTSP simulator until the budget bites

WINDOW = (datetime(2020, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


def cam(url: str) -> list[dict]:
    return [{"id": "cam1", "url": url, "segment_seconds": 1}]


def test_byte_budget_evicts_uploaded_first_and_recording_goes_on(make_box, rtsp_server) -> None:
    box, _ = make_box(cam(rtsp_server.url("cam3")), byte_budget="50MB")
    wait_until(lambda: len(box.catalogue.segments("cam1", *WINDOW)) >= 8, 60, message="eight segments")
    segments = box.catalogue.segments("cam1", *WINDOW)
    uploaded = [segments[4].id, segments[5].id]
    box.catalogue.mark_uploaded(uploaded)
    _, used = box.catalogue.total()
    box.evictor.byte_budget = used - segments[0].size - 1  # footage exceeds the budget by ~3 segments' worth
    box.evict_now()
    left = {s.id for s in box.catalogue.segments("cam1", *WINDOW)}
    assert not set(uploaded) & left  # uploaded ones went first, although newer
    assert not segments[4].path.exists() and not segments[5].path.exists()
    assert segments[1].id in left  # older but not uploaded: kept while uploaded ones could pay
    # recording never stops: the catalogue keeps growing past the eviction and stays within budget
    newest = box.catalogue.latest_segment("cam1").id
    wait_until(lambda: box.catalogue.latest_segment("cam1").id >= newest + 3, 30, message="more segments")
    box.evict_now()
    assert box.catalogue.total()[1] <= box.evictor.byte_budget
    assert box.status()["cameras"]["cam1"]["state"] == "recording"
    report = box.storage_report()
    assert report["catalogued_bytes"] == box.catalogue.total()[1]
    assert report["byte_budget"] == box.evictor.byte_budget


@pytest.fixture
def tmpfs(tmp_path: Path):
    mount = tmp_path / "tmpfs"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(path: Path, size: int) -> None:
    with path.open("wb") as handle:
        handle.truncate(0)
        chunk = b"\0" * (1 << 20)
        while size > 0:
            handle.write(chunk[: min(size, len(chunk))])
            size -= len(chunk)


def test_nearly_full_filesystem_takes_the_emergency_path(make_box, rtsp_server, tmpfs: Path) -> None:
    box, events = make_box(cam(rtsp_server.url("cam3")), data_dir=tmpfs / "data", disk_reserve="4MB")
    wait_until(lambda: len(box.catalogue.segments("cam1", *WINDOW)) >= 10, 60, message="ten segments")
    oldest = box.catalogue.segments("cam1", *WINDOW)[0]
    _, free = box.evictor.usage(box.data_dir)
    fill(tmpfs / "ballast", free - 4_000_000 + 60_000)  # ~60 kB under the reserve: evicting a few pays it
    box.evict_now()
    assert events.of("disk_full") and events.of("disk_full")[0]["evicted"] >= 1
    assert not oldest.path.exists()
    left = box.catalogue.segments("cam1", *WINDOW)
    assert left and left[0].id != oldest.id  # the oldest went; the newest stayed
    # now even an empty archive cannot keep the reserve: recording pauses, typed disk_full, no crash
    _, free = box.evictor.usage(box.data_dir)
    fill(tmpfs / "ballast2", max(0, free - 1_000_000))
    box.evict_now()
    wait_until(lambda: box.status()["cameras"]["cam1"]["state"] == "down", 30, message="paused for disk")
    assert box.status()["cameras"]["cam1"]["last_error"] == "disk_full"
    (tmpfs / "ballast2").unlink()
    (tmpfs / "ballast").unlink()
    box.evict_now()
    paused_at = box.catalogue.latest_segment("cam1")
    wait_until(
        lambda: (
            box.catalogue.latest_segment("cam1") is not None
            and box.catalogue.latest_segment("cam1").run_id != (paused_at.run_id if paused_at else None)
        ),
        60,
        message="recording again",
    )
    assert "disk_full" in {g.reason for g in box.catalogue.gaps("cam1", *WINDOW)}
    assert box.supervisor("cam1").alive()


def test_reconcile_refuses_to_drop_most_of_the_archive(make_box, rtsp_server, tmp_path: Path) -> None:
    box, _ = make_box(cam(rtsp_server.url("cam1")))
    wait_until(lambda: len(box.catalogue.segments("cam1", *WINDOW)) >= 12, 90, message="twelve segments")
    box.stop()
    from edge.archive.catalogue import Catalogue

    catalogue = Catalogue(box.catalogue.db_path)
    segments = catalogue.segments("cam1", *WINDOW)
    hidden = tmp_path / "unmounted"
    (box.data_dir / "archive").rename(hidden)  # as if the archive disk were not mounted
    with pytest.raises(ReconcileRefused, match="mounted"):
        reconcile(catalogue, box.data_dir, lambda: True)
    assert len(catalogue.segments("cam1", *WINDOW)) == len(segments)  # nothing changed
    hidden.rename(box.data_dir / "archive")
    segments[0].path.unlink()  # one lost file: dropped; one stray file: re-catalogued
    catalogue.delete_segments([segments[1].id])
    report = reconcile(catalogue, box.data_dir, lambda: True)
    assert (report.dropped_rows, report.recatalogued) == (1, 1)
    ids = [s.seq for s in catalogue.segments("cam1", *WINDOW)]
    assert segments[0].seq not in ids and segments[1].seq in ids
    time.sleep(0)


def test_never_uploaded_video_is_not_evicted_for_age_after_a_clock_correction(tmp_path: Path) -> None:
    """Before NTP sync the box stamped its segments with a clock 30 days behind; once the clock is corrected those
    segments look older than the 7-day retention. Not uploaded yet, they may go only for disk space."""
    from edge.archive.catalogue import Catalogue
    from edge.archive.eviction import Evictor

    corrected_now = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    stamped = corrected_now - timedelta(days=30)  # what the unsynchronised clock said
    catalogue = Catalogue(tmp_path / "catalogue.sqlite3", tmp_path / "archive")
    owed = [
        catalogue.add_segment("cam1", "r1", i, stamped + timedelta(seconds=6 * i), 6.0, 1000, "ab" * 32, False, False)
        for i in range(3)
    ]
    synced_owed = catalogue.add_segment("cam1", "r2", 0, corrected_now - timedelta(days=9), 6.0, 1000, "cd" * 32, True)
    portal_has = catalogue.add_segment(
        "cam1", "r2", 1, corrected_now - timedelta(days=9), 6.0, 1000, "ef" * 32, True, True
    )
    plenty = lambda _path: (10**12, 10**11)  # noqa: E731 - a disk with room to spare
    evictor = Evictor(catalogue, tmp_path, 7, 10**9, 0, usage=plenty, now=corrected_now.timestamp)
    result = evictor.run_once()
    assert result.reasons == {"retention": 1}, result.reasons  # only the segment the portal already has
    left = {s.id for s in catalogue.oldest(False, 100)}
    assert left == {o.id for o in owed} | {synced_owed.id}, "never-uploaded video was evicted for its age"
    assert catalogue.oldest(True, 100) == [] and portal_has.id not in left

    # Disk space still takes it when it must: a budget of two segments leaves the two newest.
    evictor.byte_budget = 2000
    assert evictor.run_once().reasons == {"budget": 2}
    assert {s.seq for s in catalogue.oldest(False, 100)} == {2, 0} and len(catalogue.oldest(False, 100)) == 2
