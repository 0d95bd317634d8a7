"""Eviction: oldest first, by retention days AND a byte budget, uploaded segments before unuploaded ones,
plus an emergency pass when free disk space falls below the reserve.

Retention by age applies only to video the portal already has. Video not yet uploaded goes only when the disk
needs the space (budget, emergency): its age is computed from timestamps that may come from a clock that was
not synchronised yet (a box stamps segments in the past until NTP corrects it), and a box offline for longer
than its retention must still deliver its backlog. On a box without a portal (nothing is ever uploaded) age
counts only for segments stamped by a synchronised clock.

Rows go first, files second: a crash in between leaves a file without a row, which start-up
reconciliation re-catalogues and the next pass evicts again. Never a row without its file.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from edge.archive.catalogue import Catalogue, SegmentRecord

log = logging.getLogger(__name__)
BATCH = 200
EMERGENCY_BATCH = 2  # small steps: free only what the reserve needs


@dataclass
class EvictionResult:
    deleted: int = 0
    freed: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    emergency: bool = False
    still_short: bool = False  # free space stays below the reserve with nothing left to evict

    def add(self, reason: str, records: list[SegmentRecord]) -> None:
        self.deleted += len(records)
        self.freed += sum(r.size for r in records)
        self.reasons[reason] = self.reasons.get(reason, 0) + len(records)


def disk_usage(path: Path) -> tuple[int, int]:
    """(total, free) bytes of the filesystem holding `path` (free as an unprivileged writer sees it)."""
    usage = shutil.disk_usage(path)
    return usage.total, usage.free


def auto_budget(total: int, reserve: int) -> int:
    """Budget when none is configured: 90% of the disk minus the reserve (room for spool and catalogue)."""
    return max(0, int(total * 0.9) - reserve)


class Evictor:
    def __init__(
        self,
        catalogue: Catalogue,
        data_dir: Path,
        retention_days: int,
        byte_budget: int,
        reserve: int,
        usage: Callable[[Path], tuple[int, int]] = disk_usage,
        now: Callable[[], float] = time.time,
        uploads: bool = True,
    ) -> None:
        """`uploads`: the box sends its video to a portal (segments not uploaded yet are still owed to it)."""
        self.catalogue = catalogue
        self.data_dir = data_dir
        self.retention_days = retention_days
        self.byte_budget = byte_budget
        self.reserve = reserve
        self.usage = usage
        self.now = now
        self.uploads = uploads

    def budget(self) -> int:
        if self.byte_budget:
            return self.byte_budget
        total, _ = self.usage(self.data_dir)
        return auto_budget(total, self.reserve)

    def free_short(self) -> bool:
        return self.usage(self.data_dir)[1] < self.reserve

    def run_once(self) -> EvictionResult:
        result = EvictionResult()
        self._retention(result)
        self._budget(result)
        self._emergency(result)
        self._drop_empty_runs()
        if result.deleted:
            log.info("evicted %d segments (%d bytes): %s", result.deleted, result.freed, result.reasons)
        return result

    def _retention(self, result: EvictionResult) -> None:
        cutoff_ms = int((self.now() - self.retention_days * 86400) * 1000)
        while batch := self.catalogue.oldest(True, BATCH, before_ms=cutoff_ms):
            self._delete(batch)
            result.add("retention", batch)
        if self.uploads:
            return  # owed to the portal: only disk space may take it (see the module doc)
        while batch := self.catalogue.oldest(False, BATCH, before_ms=cutoff_ms, clock_synced=True):
            self._delete(batch)
            result.add("retention", batch)

    def _budget(self, result: EvictionResult) -> None:
        budget = self.budget()
        _, used = self.catalogue.total()
        while used > budget:
            batch = self._oldest_preferring_uploaded(BATCH)
            if not batch:
                break
            # Only as many as needed to get under budget.
            chosen, excess = [], used - budget
            for record in batch:
                chosen.append(record)
                excess -= record.size
                if excess <= 0:
                    break
            self._delete(chosen)
            result.add("budget", chosen)
            used -= sum(r.size for r in chosen)

    def _emergency(self, result: EvictionResult) -> None:
        while self.free_short():
            result.emergency = True
            batch = self._oldest_preferring_uploaded(EMERGENCY_BATCH)
            if not batch:
                result.still_short = True
                break
            self._delete(batch)
            result.add("emergency", batch)

    def _oldest_preferring_uploaded(self, limit: int) -> list[SegmentRecord]:
        return self.catalogue.oldest(True, limit) or self.catalogue.oldest(False, limit)

    def _delete(self, records: list[SegmentRecord]) -> None:
        self.catalogue.delete_segments(r.id for r in records)
        for record in records:
            record.path.unlink(missing_ok=True)
            _prune_dirs(record.path.parent, self.catalogue.archive_root)

    def _drop_empty_runs(self) -> None:
        for run in self.catalogue.empty_ended_runs():
            self.catalogue.delete_run(run.camera_id, run.run_id)
            run.init_path.unlink(missing_ok=True)
            _prune_dirs(run.init_path.parent, self.catalogue.archive_root)


def _prune_dirs(directory: Path, root: Path) -> None:
    """Remove empty hour/day directories up to (not including) the camera directory."""
    for _ in range(2):
        if directory == root or root not in directory.parents:
            return
        try:
            os.rmdir(directory)
        except OSError:
            return
        directory = directory.parent
