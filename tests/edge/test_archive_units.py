"""fMP4 timing, the commit protocol and the catalogue, on real ffmpeg output."""

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from edge.archive.catalogue import Catalogue
from edge.archive.commit import RunCommitter, SegmentRejected
from edge.archive.fmp4 import MediaError, parse_init, parse_segment

T0 = datetime(2026, 1, 5, 10, 59, 58, tzinfo=UTC)


def test_segment_timing_from_tfdt_and_trun(hls_sample: Path) -> None:
    init = parse_init((hls_sample / "init.mp4").read_bytes())
    timings = [parse_segment((hls_sample / f"{i:06d}.m4s").read_bytes(), init) for i in range(4)]
    assert [round(t.duration, 3) for t in timings] == [1.0, 1.0, 1.0, 1.0]
    for before, after in zip(timings, timings[1:], strict=False):
        assert after.base_decode_time == before.base_decode_time + before.ticks  # continuous decode times
    assert all(t.samples == 10 for t in timings)


@pytest.mark.parametrize("data", [b"", b"garbage-not-mp4", b"\x00\x00\x00\x08moof"])
def test_broken_segments_raise(hls_sample: Path, data: bytes) -> None:
    init = parse_init((hls_sample / "init.mp4").read_bytes())
    with pytest.raises(MediaError):
        parse_segment(data, init)


def test_truncated_segment_raises(hls_sample: Path) -> None:
    init = parse_init((hls_sample / "init.mp4").read_bytes())
    data = (hls_sample / "000001.m4s").read_bytes()
    with pytest.raises(MediaError):
        parse_segment(data[:200], init)


def spool_copy(hls_sample: Path, tmp_path: Path) -> Path:
    spool = tmp_path / "spool" / "cam1" / "20260105T105958Z-abcdef"
    shutil.copytree(hls_sample, spool)
    return spool


def test_commit_moves_files_and_catalogues_with_media_times(hls_sample: Path, tmp_path: Path) -> None:
    catalogue = Catalogue(tmp_path / "catalogue.sqlite3")
    spool = spool_copy(hls_sample, tmp_path)
    committer = RunCommitter(catalogue, "cam1", spool.name, spool, 30, lambda: True)
    first_seen = T0 + timedelta(seconds=1)
    done = [
        committer.commit(i, spool / f"{i:06d}.m4s", int((first_seen + timedelta(seconds=i)).timestamp() * 1000))
        for i in range(4)
    ]
    assert done[0].first and not done[1].first
    segments = catalogue.segments("cam1", T0 - timedelta(hours=1), T0 + timedelta(hours=1))
    assert [s.seq for s in segments] == [0, 1, 2, 3]
    assert segments[0].start == T0  # anchored: first segment seen complete at T0+1s, lasts 1 s
    # media time, not wall time: starts are exactly 1 s apart and files sit in their UTC hour directory
    assert [s.start for s in segments] == [T0 + timedelta(seconds=i) for i in range(4)]
    assert segments[2].path.parent.name == "11" and segments[0].path.parent.name == "10"
    assert all(s.path.exists() and s.path.stat().st_size == s.size for s in segments)
    run = catalogue.run("cam1", spool.name)
    assert run is not None and run.init_path.exists() and not (spool / "init.mp4").exists()
    hour = (T0 - timedelta(hours=1), T0 + timedelta(hours=1))
    assert catalogue.ranges("cam1", *hour) == [(T0, T0 + timedelta(seconds=4))]


def test_broken_or_absurd_segment_is_rejected_never_catalogued(hls_sample: Path, tmp_path: Path) -> None:
    catalogue = Catalogue(tmp_path / "catalogue.sqlite3")
    spool = spool_copy(hls_sample, tmp_path)
    (spool / "000001.m4s").write_bytes(b"")
    committer = RunCommitter(catalogue, "cam1", spool.name, spool, 30, lambda: True)
    committer.commit(0, spool / "000000.m4s", int(T0.timestamp() * 1000))
    with pytest.raises(SegmentRejected, match="empty"):
        committer.commit(1, spool / "000001.m4s", int(T0.timestamp() * 1000))
    strict = RunCommitter(catalogue, "cam1", spool.name, spool, 0.5, lambda: True)
    with pytest.raises(SegmentRejected, match="absurd duration"):
        strict.commit(2, spool / "000002.m4s", int(T0.timestamp() * 1000))
    assert [s.seq for s in catalogue.run_segments("cam1", spool.name)] == [0]
    assert not (spool / "000001.m4s").exists() and not (spool / "000002.m4s").exists()


def add(
    catalogue: Catalogue,
    camera: str,
    run: str,
    seq: int,
    start: datetime,
    duration: float = 6.0,
    uploaded: bool = False,
) -> int:
    record = catalogue.add_segment(camera, run, seq, start, duration, 1000, "ab" * 32, True, uploaded)
    return record.id


def test_ranges_merge_contiguous_and_split_at_holes(tmp_path: Path) -> None:
    catalogue = Catalogue(tmp_path / "c.sqlite3")
    for i in range(5):
        add(catalogue, "c1", "r1", i, T0 + timedelta(seconds=6 * i))
    for i in range(3):
        add(catalogue, "c1", "r2", i, T0 + timedelta(seconds=60 + 6 * i))
    add(catalogue, "c2", "r3", 0, T0)
    window = (T0 - timedelta(minutes=5), T0 + timedelta(minutes=5))
    assert catalogue.ranges("c1", *window) == [
        (T0, T0 + timedelta(seconds=30)),
        (T0 + timedelta(seconds=60), T0 + timedelta(seconds=78)),
    ]
    # clipped to the window
    assert catalogue.ranges("c1", T0 + timedelta(seconds=10), T0 + timedelta(seconds=20)) == [
        (T0 + timedelta(seconds=10), T0 + timedelta(seconds=20))
    ]
    assert catalogue.holdings("c1") == catalogue.ranges("c1", *window)
    catalogue.add_gap("c1", T0 + timedelta(seconds=30), T0 + timedelta(seconds=60), "camera_unreachable")
    assert [g.reason for g in catalogue.gaps("c1", *window)] == ["camera_unreachable"]
    assert catalogue.add_gap("c1", T0 + timedelta(seconds=30), T0 + timedelta(seconds=60), "camera_unreachable") is None


def test_upload_bookkeeping(tmp_path: Path) -> None:
    catalogue = Catalogue(tmp_path / "c.sqlite3")
    ids = [add(catalogue, "c1", "r1", i, T0 + timedelta(seconds=6 * i)) for i in range(4)]
    add(catalogue, "c2", "r2", 0, T0 - timedelta(seconds=6))
    assert [s.camera_id for s in catalogue.pending_uploads(limit=2)] == ["c2", "c1"]
    catalogue.mark_uploaded(ids[:2])
    pending = catalogue.pending_uploads(camera_id="c1")
    assert [s.id for s in pending] == ids[2:]
    only = catalogue.pending_uploads(start=T0 + timedelta(seconds=19), end=T0 + timedelta(seconds=20))
    assert [s.id for s in only] == [ids[3]]
    assert catalogue.backlog() == {"c1": (2, 2000), "c2": (1, 1000)}
    gap = catalogue.add_gap("c1", T0, T0 + timedelta(seconds=1), "stalled")
    assert gap is not None and [g.id for g in catalogue.unreported_gaps()] == [gap.id]
    catalogue.mark_gaps_reported([gap.id])
    assert catalogue.unreported_gaps() == []
    assert catalogue.latest_segment("c1").seq == 3


def test_ranges_follow_deletions_and_out_of_order_inserts(tmp_path: Path) -> None:
    catalogue = Catalogue(tmp_path / "c.sqlite3")
    ids = [add(catalogue, "c1", "r1", i, T0 + timedelta(seconds=6 * i)) for i in range(10) if i != 4]
    window = (T0 - timedelta(minutes=5), T0 + timedelta(minutes=5))
    assert len(catalogue.ranges("c1", *window)) == 2
    add(catalogue, "c1", "r1", 4, T0 + timedelta(seconds=24))  # the hole filled late (salvage)
    assert catalogue.ranges("c1", *window) == [(T0, T0 + timedelta(seconds=60))]
    catalogue.delete_segments(ids[:2])  # eviction: a prefix
    assert catalogue.ranges("c1", *window) == [(T0 + timedelta(seconds=12), T0 + timedelta(seconds=60))]
    catalogue.delete_segments([ids[5]])  # a hole in the middle (an uploaded segment evicted first)
    assert catalogue.ranges("c1", *window) == [
        (T0 + timedelta(seconds=12), T0 + timedelta(seconds=36)),
        (T0 + timedelta(seconds=42), T0 + timedelta(seconds=60)),
    ]
    catalogue.close()
    reopened = Catalogue(tmp_path / "c.sqlite3")
    before = reopened.ranges("c1", *window)
    reopened.rebuild_spans()
    assert reopened.ranges("c1", *window) == before
