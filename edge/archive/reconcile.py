"""Start-up reconciliation: make the catalogue and the files agree after a crash or power cut.

1. Salvage spool directories: complete segments ffmpeg finished before the crash are committed (the
   segment in flight, still under its .tmp name, is lost and deleted).
2. Per camera and UTC hour: rows without files are dropped, files without rows are re-catalogued
   (or deleted when unparseable). Safety stop: if more than half of the catalogued segments would be
   dropped, nothing is changed and ReconcileRefused says so (an unmounted disk looks exactly like that).
3. Runs left open by the crash are closed with reason box_down.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from edge.archive import layout
from edge.archive.catalogue import Catalogue, RunAnchor
from edge.archive.commit import RunCommitter, SegmentRejected, sha256_hex
from edge.archive.fmp4 import MediaError, parse_init, parse_segment
from edge.archive.layout import from_ms
from edge.recorder import spool

log = logging.getLogger(__name__)
MIN_ROWS_FOR_SAFETY_STOP = 10


class ReconcileRefused(RuntimeError):
    """Reconciliation would drop too much of the archive; the message says what and what to check."""


@dataclass
class ReconcileReport:
    salvaged: int = 0
    recatalogued: int = 0
    dropped_rows: int = 0
    deleted_files: list[str] = field(default_factory=list)
    closed_runs: int = 0


def reconcile(
    catalogue: Catalogue, data_dir: Path, clock_synced: Callable[[], bool], max_duration: float = 65.0
) -> ReconcileReport:
    report = ReconcileReport()
    root = catalogue.archive_root
    missing, orphans = _compare(catalogue, root)
    count, _ = catalogue.total()
    if count >= MIN_ROWS_FOR_SAFETY_STOP and len(missing) * 2 > count:
        raise ReconcileRefused(
            f"{len(missing)} of {count} catalogued segments have no file under {root}; refusing to drop them."
            " Check that the archive disk is mounted, then start again (or move the catalogue aside to rebuild)"
        )
    catalogue.delete_segments(missing)
    report.dropped_rows = len(missing)
    for path in orphans:
        _recatalogue(catalogue, path, report, max_duration)
    _salvage_spool(catalogue, data_dir, clock_synced, max_duration, report)
    for run in catalogue.open_runs():
        segments = catalogue.run_segments(run.camera_id, run.run_id)
        end = segments[-1].end if segments else run.start
        catalogue.end_run(run.camera_id, run.run_id, end, "box_down")
        report.closed_runs += 1
    if report.dropped_rows or report.recatalogued or report.deleted_files or report.salvaged:
        log.warning("reconciliation: %s", report)
    return report


def _compare(catalogue: Catalogue, root: Path) -> tuple[list[int], list[Path]]:
    """(ids of rows without files, segment/init files without rows), one camera-hour at a time."""
    missing: list[int] = []
    orphans: list[Path] = []
    cameras = set(catalogue.cameras())
    if root.is_dir():
        cameras |= {p.name for p in root.iterdir() if p.is_dir()}
    for camera in sorted(cameras):
        hours = catalogue.hours(camera)
        on_disk: dict[int, Path] = {}
        for day in (root / camera).glob("*-*-*"):
            for hour in day.iterdir():
                start = layout.hour_of(hour)
                if start is not None:
                    on_disk[start] = hour
        for hour_ms in sorted(hours | set(on_disk)):
            rows = {r.path.name: r.id for r in catalogue.segments_in_hour(camera, hour_ms)}
            directory = on_disk.get(hour_ms)
            names = set(os.listdir(directory)) if directory else set()
            missing.extend(seg_id for name, seg_id in rows.items() if name not in names)
            for name in names - set(rows):
                if directory is not None and not layout.INIT_RE.match(name):
                    orphans.append(directory / name)
        orphans.extend(_orphan_inits(catalogue, root / camera, camera))
    return missing, orphans


def _orphan_inits(catalogue: Catalogue, camera_dir: Path, camera: str) -> list[Path]:
    """Init files whose run has no row: kept only if a segment file of that run exists (handled later)."""
    found = []
    for path in camera_dir.glob("*/*/*.init.mp4"):
        match = layout.INIT_RE.match(path.name)
        if match and catalogue.run(camera, match.group("run")) is None:
            found.append(path)
    return found


def _recatalogue(catalogue: Catalogue, path: Path, report: ReconcileReport, max_duration: float) -> None:
    """A file renamed into place whose row never got written (crash between rename and catalogue)."""
    camera = path.parents[2].name
    match = layout.SEGMENT_RE.match(path.name)
    if layout.INIT_RE.match(path.name):
        if catalogue.run(camera, path.name.split(".")[0]) is None and not _run_has_files(path, camera):
            _delete(path, report)
        return
    if not match:
        _delete(path, report)  # a .tmp or foreign file in the archive tree
        return
    run_id, seq = match.group("run"), int(match.group("seq"))
    init_file = layout.init_path(catalogue.archive_root, camera, run_id)
    try:
        data = path.read_bytes()
        init = parse_init(init_file.read_bytes())
        timing = parse_segment(data, init)
        if not 0 < timing.duration <= max_duration:
            raise MediaError(f"absurd duration {timing.duration:.3f}s")
    except (OSError, MediaError) as exc:
        log.warning("reconciliation: dropping unusable %s: %s", path, exc)
        _delete(path, report)
        return
    anchor = catalogue.run_anchor(camera, run_id)
    if anchor is None:
        # The run row was lost too: anchor on the file's mtime (written when the segment ended).
        end_ms = int(path.stat().st_mtime * 1000)
        anchor = RunAnchor(end_ms - round(timing.duration * 1000), timing.base_decode_time, timing.timescale)
        init_bytes = init_file.read_bytes()
        catalogue.add_run(camera, run_id, from_ms(anchor.anchor_ms), anchor, len(init_bytes), sha256_hex(init_bytes))
    start_ms = anchor.wall_ms(timing.base_decode_time)
    expected = layout.segment_path(catalogue.archive_root, camera, run_id, seq, start_ms)
    if expected != path:
        expected.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, expected)
    # clock_synced is unknown after a crash: say "not synced" rather than claim it.
    catalogue.add_segment(camera, run_id, seq, from_ms(start_ms), timing.duration, len(data), sha256_hex(data), False)
    report.recatalogued += 1


def _run_has_files(init_file: Path, camera: str) -> bool:
    run_id = init_file.name.split(".")[0]
    return any(init_file.parents[2].glob(f"*/*/{run_id}-*.m4s"))


def _salvage_spool(
    catalogue: Catalogue,
    data_dir: Path,
    clock_synced: Callable[[], bool],
    max_duration: float,
    report: ReconcileReport,
) -> None:
    spool_root = data_dir / "spool"
    if not spool_root.is_dir():
        return
    for run_dir in sorted(spool_root.glob("*/*")):
        camera, run_id = run_dir.parent.name, run_dir.name
        committer = RunCommitter(catalogue, camera, run_id, run_dir, max_duration, clock_synced)
        existing = catalogue.run_segments(camera, run_id)
        committer.last_seq = existing[-1].seq if existing else -1
        for seq in spool.segment_files(run_dir):
            if seq <= committer.last_seq:
                continue
            file = spool.segment_file(run_dir, seq)
            try:
                committer.commit(seq, file, int(file.stat().st_mtime * 1000))
                report.salvaged += 1
            except SegmentRejected as exc:
                log.warning("salvage: %s", exc)
        shutil.rmtree(run_dir, ignore_errors=True)
    for camera_dir in spool_root.iterdir():
        with contextlib.suppress(OSError):
            camera_dir.rmdir()


def _delete(path: Path, report: ReconcileReport) -> None:
    path.unlink(missing_ok=True)
    report.deleted_files.append(str(path))
