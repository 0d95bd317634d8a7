"""The progressive-MP4 layout cache: HEAD / Range / resume reuse one layout; new video, retention and a late init
change the file; nothing crosses cameras or subscribers; a cached file is the file computed afresh."""

from datetime import UTC, datetime, timedelta

from portal.archive import retention
from portal.archive.layout_cache import LAYOUTS, LayoutCache
from portal.archive.progressive import Layout
from portal.archive.storage import storage_of
from tests.portal_archive.conftest import World, run_id


def _get(w: World, start: datetime, duration: float, token: str | None = None, camera: str = "cam1", **headers: str):
    return w.client.get(
        f"/api/v1/cameras/{camera}/download",
        headers={**w.auth(token or w.alice), **headers},
        params={"start": start.isoformat(), "duration": duration},
    )


def _fresh(w: World, start: datetime, duration: float, **kwargs):
    """The same request with nothing cached: what the file must be."""
    LAYOUTS.clear()
    return _get(w, start, duration, **kwargs)


def test_head_range_and_resume_reuse_one_layout_and_match_a_fresh_one(world: World) -> None:
    w = world
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    w.upload_run("cam1", run_id(t0), t0, 10)
    LAYOUTS.clear()
    misses = LAYOUTS.misses
    head = w.client.head(
        "/api/v1/cameras/cam1/download", headers=w.auth(w.alice), params={"start": t0.isoformat(), "duration": 50}
    )
    full = _get(w, t0, 50)
    size, etag = len(full.content), full.headers["etag"]
    part = _get(w, t0, 50, Range=f"bytes={size // 2}-", **{"If-Range": etag})
    assert LAYOUTS.misses == misses + 1  # computed once, for the HEAD; the GET and the resume reused it
    assert head.headers["content-length"] == str(size) and head.headers["etag"] == etag
    assert part.status_code == 206 and full.content[: size // 2] + part.content == full.content
    fresh = _fresh(w, t0, 50)
    assert fresh.content == full.content and fresh.headers["etag"] == etag


def test_a_segment_arriving_in_the_range_changes_the_file(world: World) -> None:
    w = world
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    run = run_id(t0)
    assert w.put_init("cam1", run) in (200, 201)
    for seq in (0, 1, 3, 4):  # seq 2 is late (a backlog upload)
        assert w.put_segment("cam1", run, seq, t0 + timedelta(seconds=6 * seq)) == 201
    before = _get(w, t0, 30)
    assert _get(w, t0, 30).headers["etag"] == before.headers["etag"]  # cached, unchanged
    assert w.put_segment("cam1", run, 2, t0 + timedelta(seconds=12)) == 201
    after = _get(w, t0, 30, Range="bytes=100-", **{"If-Range": before.headers["etag"]})
    assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]  # not the cached layout
    assert len(after.content) > len(before.content)
    assert after.content == _fresh(w, t0, 30).content


def test_late_init_makes_a_run_part_of_the_cached_range(world: World) -> None:
    w = world
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    w.upload_run("cam1", run_id(t0, "aaaaaa"), t0, 5)
    later = run_id(t0 + timedelta(seconds=30), "bbbbbb")
    for seq in range(5):  # the next run's segments, its init not here yet: not playable
        assert w.put_segment("cam1", later, seq, t0 + timedelta(seconds=30 + 6 * seq)) == 201
    before = _get(w, t0, 60)
    assert w.put_init("cam1", later) in (200, 201)
    after = _get(w, t0, 60)
    assert after.headers["etag"] != before.headers["etag"] and len(after.content) > len(before.content)
    assert after.content == _fresh(w, t0, 60).content


def test_retention_deleting_segments_is_not_served_from_the_cache(world: World) -> None:
    w = world
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    w.upload_run("cam1", run_id(t0), t0, 10)
    before = _get(w, t0, 60)
    assert before.status_code == 200
    storage = storage_of(w.services)
    counts = retention.sweep_camera(w.services.db, storage, "cam1", t0 + timedelta(seconds=30))
    assert counts["segments"] == 5
    after = _get(w, t0, 60)  # the cached layout names deleted objects: it must not be used
    assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
    assert len(after.content) < len(before.content)
    assert after.content == _fresh(w, t0, 60).content
    retention.sweep_camera(w.services.db, storage, "cam1", t0 + timedelta(seconds=90))
    assert _get(w, t0, 60).status_code == 404


def test_no_layout_crosses_cameras_or_subscribers(world: World) -> None:
    w = world
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    w.upload_run("cam1", run_id(t0), t0, 5)
    for seq in range(5):  # the same video at the same times on Bob's camera
        if seq == 0:
            assert w.put_init("cam2", run_id(t0), token=w.other_upload_token) in (200, 201)
        at = t0 + timedelta(seconds=6 * seq)
        assert w.put_segment("cam2", run_id(t0), seq, at, token=w.other_upload_token) == 201
    LAYOUTS.clear()
    alice = _get(w, t0, 30)
    assert _get(w, t0, 30, token=w.bob).status_code == 403  # Alice's cached layout is no way in to cam1
    bob = _get(w, t0, 30, token=w.bob, camera="cam2")
    assert _get(w, t0, 30, camera="cam2").status_code == 403  # nor Bob's to cam2
    assert alice.status_code == bob.status_code == 200 and len(LAYOUTS) == 2
    assert alice.headers["etag"] != bob.headers["etag"]  # cam2's own objects, not cam1's layout
    assert bob.content == _fresh(w, t0, 30, token=w.bob, camera="cam2").content


def _layout(header: int) -> Layout:
    return Layout(b"h" * header, [], header, f'"{header}"', 1.0)


def test_cache_is_bounded_by_entries_and_bytes() -> None:
    cache = LayoutCache(max_entries=3, max_bytes=1000)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    keys = [("s", "cam", now, now + timedelta(seconds=i), ()) for i in range(5)]
    for key in keys[:4]:
        cache.put(key, _layout(100))
    assert len(cache) == 3 and cache.get(keys[0]) is None and cache.get(keys[3]) is not None
    cache.get(keys[1])  # recently used: kept when the big one pushes the least recently used out
    cache.put(keys[4], _layout(800))  # 100 x 3 + 800 > 1000: one has to go
    assert cache.get(keys[2]) is None and cache.get(keys[1]) is not None and cache.get(keys[3]) is not None
    cache.put(keys[0], _layout(2000))  # bigger than the whole cache: not kept
    assert cache.get(keys[0]) is None
