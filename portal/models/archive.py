"""The video archive index: runs, segments, recorded spans, typed gaps, what the box holds, on-demand fetches.

Objects (init and media segments) live in the object store; these tables say what exists and where.
``archive_spans`` is a summary of ``archive_segments`` (contiguous recorded time) kept at ingest so the
timeline reads a handful of rows instead of thousands of segments.
"""

import builtins
from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, UTCDateTime, utcnow

# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL gets 64-bit ids for the big tables.
BigId = BigInteger().with_variant(Integer, "sqlite")


class ArchiveRun(Base):
    """One unbroken recording session of a camera; its init segment decodes all its media segments."""

    __tablename__ = "archive_runs"
    __table_args__ = (UniqueConstraint("camera_id", "run_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[str] = mapped_column(String(32))
    init_key: Mapped[str] = mapped_column(String(300), default="")  # empty = init not uploaded yet
    init_sha256: Mapped[str] = mapped_column(String(64), default="")
    init_bytes: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def complete(self) -> bool:
        return bool(self.init_key)


class ArchiveSegment(Base):
    """One media segment (moof+mdat, ~6 s, starts on a keyframe)."""

    __tablename__ = "archive_segments"
    __table_args__ = (
        UniqueConstraint("run_pk", "seq"),
        Index("ix_archive_segments_camera_start", "camera_id", "start"),
        Index("ix_archive_segments_camera_end", "camera_id", "end"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    camera_id: Mapped[str] = mapped_column(String(64))
    run_pk: Mapped[int] = mapped_column(ForeignKey("archive_runs.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    duration: Mapped[float] = mapped_column(Float)
    bytes: Mapped[int] = mapped_column(Integer)
    object_key: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    clock_synced: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # portal.archive.sample_table, read from the moof at ingest; NULL = not yet (filled on first download).
    # builtins.bytes: in this class body `bytes` is the column above.
    sample_table: Mapped[builtins.bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)


class ArchiveThumbnail(Base):
    """A small JPEG of a segment's first keyframe (timeline scrubbing); made on first view, gone with its segment."""

    __tablename__ = "archive_thumbnails"

    segment_id: Mapped[int] = mapped_column(ForeignKey("archive_segments.id", ondelete="CASCADE"), primary_key=True)
    jpeg: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ArchiveSpan(Base):
    """A stretch of continuously recorded, playable time (segments of runs whose init arrived)."""

    __tablename__ = "archive_spans"
    __table_args__ = (Index("ix_archive_spans_camera_start", "camera_id", "start"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    camera_id: Mapped[str] = mapped_column(String(64))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)


class ArchiveGap(Base):
    """A gap typed by the box (camera_unreachable, box_down, ...). Idempotent on (camera, start, reason)."""

    __tablename__ = "archive_gaps"
    __table_args__ = (
        UniqueConstraint("camera_id", "start", "reason"),
        Index("ix_archive_gaps_camera_end", "camera_id", "end"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    camera_id: Mapped[str] = mapped_column(String(64))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ArchiveHolding(Base):
    """A range the box reported it still holds (uploaded or not); replaced by every report."""

    __tablename__ = "archive_holdings"
    __table_args__ = (Index("ix_archive_holdings_camera_start", "camera_id", "start"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    camera_id: Mapped[str] = mapped_column(String(64))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)


class ArchiveCamera(Base):
    """Per-camera archive state. Ingest upserts this row first: its row lock serialises a camera's writers."""

    __tablename__ = "archive_cameras"

    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True)
    last_segment_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_segment_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_upload_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    holdings_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ArchiveFetch(Base):
    """An on-demand upload.range request sent to the box; shared by every portal worker."""

    __tablename__ = "archive_fetches"
    __table_args__ = (Index("ix_archive_fetches_camera_start", "camera_id", "start"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    camera_id: Mapped[str] = mapped_column(String(64))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="sent")  # sent | failed
    detail: Mapped[str] = mapped_column(String(300), default="")
