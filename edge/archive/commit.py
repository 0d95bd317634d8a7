"""The commit protocol: fsync the file, rename it into the archive, fsync the directory, then catalogue.

A crash at any point leaves either a spool file (salvaged at start-up), an archive file without a row
(re-catalogued by reconciliation), or a complete row: never a row whose file is missing.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cloud_sync.durable import fsync_dir, fsync_file
from edge.archive import layout
from edge.archive.catalogue import Catalogue, RunAnchor, RunRecord, SegmentRecord
from edge.archive.fmp4 import InitInfo, MediaError, parse_init, parse_segment
from edge.archive.layout import from_ms

log = logging.getLogger(__name__)


def ensure_dir(path: Path) -> None:
    """mkdir -p, fsyncing each parent whose entry we created, so the new directory survives a power cut."""
    if path.is_dir():
        return
    ensure_dir(path.parent)
    try:
        path.mkdir()
    except FileExistsError:
        return
    fsync_dir(path.parent)


def durable_move(src: Path, dst: Path) -> None:
    """fsync src, rename it to dst (same filesystem), fsync dst's directory."""
    fsync_file(src)
    ensure_dir(dst.parent)
    os.replace(src, dst)
    fsync_dir(dst.parent)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


MTIME_TRUST_MS = 5_000


class SegmentRejected(Exception):
    """A segment file that must not be catalogued (empty, unparseable, absurd duration)."""


@dataclass
class Committed:
    segment: SegmentRecord
    run: RunRecord
    first: bool  # the run's first segment (the run was created by this commit)


class RunCommitter:
    """Commits the init and media segments of one run from its spool directory into the archive."""

    def __init__(
        self,
        catalogue: Catalogue,
        camera_id: str,
        run_id: str,
        spool_dir: Path,
        max_duration: float,
        clock_synced: Callable[[], bool],
    ) -> None:
        self.catalogue = catalogue
        self.camera_id = camera_id
        self.run_id = run_id
        self.spool_dir = spool_dir
        self.max_duration = max_duration
        self.clock_synced = clock_synced
        self.init: InitInfo | None = None
        self.anchor = catalogue.run_anchor(camera_id, run_id)
        self.last_seq = -1
        self.last_end_ms: int | None = None

    def _load_init(self) -> InitInfo:
        if self.init is None:
            path = self.spool_dir / "init.mp4"
            if not path.exists():
                path = layout.init_path(self.catalogue.archive_root, self.camera_id, self.run_id)
            try:
                self.init = parse_init(path.read_bytes())
            except (OSError, MediaError) as exc:
                raise SegmentRejected(f"init segment unusable: {exc}") from exc
        return self.init

    @staticmethod
    def _written_at_ms(spool_file: Path, fallback_ms: int) -> int:
        try:
            return spool_file.stat().st_mtime_ns // 1_000_000
        except OSError:
            return fallback_ms

    def commit(self, seq: int, spool_file: Path, finished_at_ms: int) -> Committed:
        """Commit one finished segment; `finished_at_ms` is the wall time it was seen complete.

        Raises SegmentRejected (after deleting the file) when the bytes must not be catalogued.
        """
        try:
            data = spool_file.read_bytes()
            init = self._load_init()
            timing = parse_segment(data, init)
            if not 0 < timing.duration <= self.max_duration:
                raise MediaError(f"absurd duration {timing.duration:.3f}s (allowed up to {self.max_duration:.0f}s)")
        except (OSError, MediaError, SegmentRejected) as exc:
            spool_file.unlink(missing_ok=True)
            raise SegmentRejected(f"{self.camera_id} {self.run_id} segment {seq} rejected: {exc}") from exc
        first = False
        if self.anchor is None:
            # Anchor: ffmpeg closes a segment when the next keyframe arrives, so its end is when ffmpeg last wrote
            # it. The file's mtime says that without our poll interval or scheduling delay under load; the error
            # left is the camera->ffmpeg latency (well under a second on a LAN).
            written_ms = self._written_at_ms(spool_file, finished_at_ms)
            if 0 <= finished_at_ms - written_ms <= MTIME_TRUST_MS:  # beyond that the clock stepped: keep ours
                finished_at_ms = written_ms
            anchor_ms = finished_at_ms - round(timing.duration * 1000)
            self.anchor = RunAnchor(anchor_ms, timing.base_decode_time, timing.timescale)
            self._commit_init(from_ms(anchor_ms))
            first = True
        start_ms = self.anchor.wall_ms(timing.base_decode_time)
        target = layout.segment_path(self.catalogue.archive_root, self.camera_id, self.run_id, seq, start_ms)
        durable_move(spool_file, target)
        record = self.catalogue.add_segment(
            self.camera_id,
            self.run_id,
            seq,
            from_ms(start_ms),
            timing.duration,
            len(data),
            sha256_hex(data),
            self.clock_synced(),
        )
        self.last_seq = seq
        self.last_end_ms = start_ms + round(timing.duration * 1000)
        run = self.catalogue.run(self.camera_id, self.run_id)
        assert run is not None
        return Committed(record, run, first)

    def _commit_init(self, start: datetime) -> None:
        source = self.spool_dir / "init.mp4"
        target = layout.init_path(self.catalogue.archive_root, self.camera_id, self.run_id)
        if source.exists():
            data = source.read_bytes()
            durable_move(source, target)
        else:  # moved before a crash that came ahead of its catalogue row
            data = target.read_bytes()
        assert self.anchor is not None
        self.catalogue.add_run(self.camera_id, self.run_id, start, self.anchor, len(data), sha256_hex(data))
