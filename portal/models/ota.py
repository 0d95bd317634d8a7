"""OTA on the portal: uploaded bundles, rollouts, and each targeted box's progress (docs/ota.md)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, UTCDateTime, utcnow

TERMINAL = ("healthy", "rolled_back", "refused", "failed", "already")
FAILED = ("rolled_back", "refused", "failed")


class OtaBundle(Base):
    """A signed bundle in the object store (key `ota/{sha256}.tar`), checked when it was uploaded."""

    __tablename__ = "ota_bundles"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[str] = mapped_column(String(32), unique=True)
    min_from: Mapped[str] = mapped_column(String(32), default="0")
    size: Mapped[int] = mapped_column(Integer)
    key_id: Mapped[str] = mapped_column(String(32))
    object_key: Mapped[str] = mapped_column(String(200))
    uploaded_by: Mapped[str] = mapped_column(String(200), default="")
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OtaRollout(Base):
    """One version offered to a set of boxes in waves; pauses itself past its rollback threshold."""

    __tablename__ = "ota_rollouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("ota_bundles.sha256"), index=True)
    version: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default="running")  # running | paused | done
    paused_reason: Mapped[str] = mapped_column(String(500), default="")
    waves: Mapped[int] = mapped_column(Integer, default=1)
    wave: Mapped[int] = mapped_column(Integer, default=0)  # the wave being offered (0-based)
    threshold_percent: Mapped[int] = mapped_column(Integer, default=20)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OtaTarget(Base):
    """A box in a rollout: pending -> offered -> downloading -> installing -> switching -> healthy | rolled_back
    | refused | failed (the box's `ota` events move it; `reason` says why it failed)."""

    __tablename__ = "ota_targets"
    __table_args__ = (UniqueConstraint("rollout_id", "device_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rollout_id: Mapped[int] = mapped_column(ForeignKey("ota_rollouts.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    wave: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    percent: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(String(500), default="")
    request_id: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
