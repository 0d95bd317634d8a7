"""Light live view (docs/live-light.md): who asked a box to relay a sub-stream until when, and the few seconds of
relayed segments. Never archive: nothing here is indexed with the recordings, and segments live about a minute."""

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column

from portal.models.base import Base, UTCDateTime, utcnow


class LightLease(Base):
    """The portal's side of a camera's relay lease: until when the box was last asked to relay."""

    __tablename__ = "light_leases"

    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True)
    until: Mapped[datetime] = mapped_column(UTCDateTime)
    renewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LightSegment(Base):
    """One relayed MPEG-TS segment (1-2 s of the sub-stream), kept for about a minute in the database so every
    portal worker serves it (a process's memory would only serve the worker that took the upload)."""

    __tablename__ = "light_segments"
    __table_args__ = (
        UniqueConstraint("camera_id", "run_id", "seq"),
        Index("light_segments_received", "received_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"))
    run_id: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int] = mapped_column(Integer)
    duration: Mapped[float] = mapped_column(Float)
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))  # playlists never load it
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
