"""Motion events reported by boxes (edge/motion): one row per event, start and end, with a small thumbnail."""

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column

from portal.models.base import Base, UTCDateTime, utcnow


class MotionEvent(Base):
    """(device, motion id) is unique: the start and end messages of one event, and redeliveries, meet here."""

    __tablename__ = "motion_events"
    __table_args__ = (
        UniqueConstraint("device_id", "motion_id"),
        Index("motion_events_camera_start", "camera_id", "start"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"))
    motion_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), default="motion")
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    peak_area: Mapped[float] = mapped_column(Float, default=0.0)
    # ~10-20 KB JPEG; deferred so lists and the timeline never load it.
    thumbnail: Mapped[bytes | None] = deferred(mapped_column(LargeBinary, nullable=True))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
