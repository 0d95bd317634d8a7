"""What the box holds (its catalogue) versus what the portal indexed, as comparable sets of segments."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from edge.archive import layout
from edge.archive.catalogue import Catalogue, RunAnchor
from portal.db import Database
from portal.models import ArchiveRun, ArchiveSegment

Key = tuple[str, str, int, str]  # camera, run, seq, sha256


def box_segments(data_dir: Path) -> tuple[set[Key], int]:
    """(every catalogued segment, how many are not marked uploaded)."""
    catalogue = Catalogue(data_dir / "catalogue.sqlite3", data_dir / "archive")
    try:
        rows = catalogue._query("SELECT camera_id, run_id, seq, sha256, uploaded FROM segments")
    finally:
        catalogue.close()
    return {(c, r, s, bytes(h).hex()) for c, r, s, h, _ in rows}, sum(1 for *_, u in rows if not u)


def portal_segments(db: Database, cameras: list[str]) -> list[Key]:
    """A list, not a set: a duplicate would show as a repeated key."""
    with db.session() as session:
        rows = session.execute(
            select(ArchiveSegment.camera_id, ArchiveRun.run_id, ArchiveSegment.seq, ArchiveSegment.sha256)
            .join(ArchiveRun, ArchiveRun.id == ArchiveSegment.run_pk)
            .where(ArchiveSegment.camera_id.in_(cameras))
        ).all()
    return [(c, r, s, h) for c, r, s, h in rows]


def portal_runs_with_init(db: Database, cameras: list[str]) -> set[tuple[str, str]]:
    with db.session() as session:
        rows = session.execute(
            select(ArchiveRun.camera_id, ArchiveRun.run_id).where(
                ArchiveRun.camera_id.in_(cameras), ArchiveRun.init_key != ""
            )
        ).all()
    return {(c, r) for c, r in rows}


def seed_catalogue(
    data_dir: Path,
    camera_id: str,
    count: int,
    size: int,
    run_id: str | None = None,
    media: tuple[bytes, Sequence[bytes]] | None = None,
    seconds: float = 2.0,
) -> Catalogue:
    """A box archive with `count` segments of `size` random bytes (the uploader and ingest do not parse media),
    or with ``media`` = (init, segment bodies): real video, its segments repeated in turn, ``seconds`` apart."""
    from cloud_sync.segments import new_run_id

    start = datetime.now(UTC) - timedelta(hours=1)
    run_id = run_id or new_run_id(start)
    catalogue = Catalogue(data_dir / "catalogue.sqlite3", data_dir / "archive")
    init = media[0] if media else os.urandom(800)
    init_file = layout.init_path(catalogue.archive_root, camera_id, run_id)
    init_file.parent.mkdir(parents=True, exist_ok=True)
    init_file.write_bytes(init)
    anchor = RunAnchor(layout.to_ms(start), 0, 90000)
    catalogue.add_run(camera_id, run_id, start, anchor, len(init), hashlib.sha256(init).hexdigest())
    for seq in range(count):
        body = media[1][seq % len(media[1])] if media else os.urandom(size)
        seg_start = start + timedelta(seconds=seconds * seq)
        path = layout.segment_path(catalogue.archive_root, camera_id, run_id, seq, layout.to_ms(seg_start))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        digest = hashlib.sha256(body).hexdigest()
        catalogue.add_segment(camera_id, run_id, seq, seg_start, seconds, len(body), digest, True)
    return catalogue
