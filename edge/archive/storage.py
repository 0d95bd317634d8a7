"""The storage report: what the catalogue holds, what the filesystem says, and the difference explained."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from edge.archive.catalogue import Catalogue
from edge.archive.eviction import Evictor


def tree_bytes(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                continue  # vanished while we walked (committed or evicted)
    return total


def storage_report(catalogue: Catalogue, evictor: Evictor, data_dir: Path) -> dict[str, Any]:
    """Figures in bytes. used_by_filesystem - catalogued = spool (in flight) + database + other (not ours)."""
    total, free = evictor.usage(data_dir)
    count, catalogued = catalogue.total()
    spool = tree_bytes(data_dir / "spool")
    database = sum(p.stat().st_size for p in data_dir.glob(catalogue.db_path.name + "*") if p.is_file())
    state = sum(p.stat().st_size for p in data_dir.glob("state.json*") if p.is_file())
    used = total - free
    other = used - catalogued - spool - database - state
    return {
        "catalogued_bytes": catalogued,
        "catalogued_segments": count,
        "filesystem_total_bytes": total,
        "filesystem_free_bytes": free,
        "filesystem_used_bytes": used,
        "byte_budget": evictor.budget(),
        "disk_reserve": evictor.reserve,
        "retention_days": evictor.retention_days,
        "difference": {
            "spool_bytes": spool,
            "catalogue_db_bytes": database,
            "state_bytes": state,
            "other_bytes": other,
        },
        "explanation": (
            "filesystem used = catalogued segments and inits + spool (segments being recorded) + catalogue"
            " database + state file + other (files not belonging to the archive, filesystem overhead, or"
            " root-reserved blocks)"
        ),
        "backlog": {camera: {"segments": n, "bytes": b} for camera, (n, b) in catalogue.backlog().items()},
    }
