"""What the portal learns of each box over MQTT: latest health, events, and the commands sent to it."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, UTCDateTime, utcnow


class DeviceHealth(Base):
    """The newest telemetry of a box (one row per box, overwritten), flattened for the fleet page."""

    __tablename__ = "device_health"

    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True)
    telemetry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cpu_percent: Mapped[float | None] = mapped_column()
    temperature_c: Mapped[float | None] = mapped_column()
    throttled: Mapped[int | None] = mapped_column(Integer)
    disk_total: Mapped[int] = mapped_column(BigInteger, default=0)
    disk_free: Mapped[int] = mapped_column(BigInteger, default=0)
    backlog_segments: Mapped[int] = mapped_column(Integer, default=0)
    backlog_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    clock_synced: Mapped[bool] = mapped_column(default=False)
    cameras: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    telemetry: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DeviceEvent(Base):
    """An event a box reported; (device, event id) is unique so a redelivered event is stored once."""

    __tablename__ = "device_events"
    __table_args__ = (UniqueConstraint("device_id", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(32))
    camera_id: Mapped[str | None] = mapped_column(String(64), index=True)
    ts: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeviceCommand(Base):
    """A command the portal sent to a box and, once it answered, the result."""

    __tablename__ = "device_commands"

    request_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(32))
    args: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="sent")  # sent | done | failed | expired | interrupted
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str] = mapped_column(String(500), default="")
    replays: Mapped[int] = mapped_column(Integer, default=0)  # results the box answered from its store
    # Who asked (portal.services.CommandSending): "operator:<login>", "contract:<number>", or a portal job's name.
    sent_by: Mapped[str] = mapped_column(String(100), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
