"""Entrance boxes and the cameras they record."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.accounts import Address, Contract
from portal.models.base import Base, UTCDateTime, utcnow

RETENTION_CHOICES = (7, 14, 30)


class Device(Base):
    """An entrance box. Its id is its MQTT client id and username."""

    __tablename__ = "devices"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    address_id: Mapped[int | None] = mapped_column(ForeignKey("addresses.id"), index=True)
    upload_token_hash: Mapped[str] = mapped_column(String(64), default="", index=True)
    mqtt_password_hash: Mapped[str] = mapped_column(String(255), default="")
    claim_code_hash: Mapped[str] = mapped_column(String(64), default="")
    firmware: Mapped[str] = mapped_column(String(64), default="")
    state: Mapped[str] = mapped_column(String(16), default="unknown")  # online | offline | unknown
    session: Mapped[int] = mapped_column(Integer, default=0)
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    address: Mapped[Address | None] = relationship(lazy="joined")


class Camera(Base):
    """A camera recorded by a box. Shared when bound to an entrance, private when bound to a contract."""

    __tablename__ = "cameras"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address_id: Mapped[int | None] = mapped_column(ForeignKey("addresses.id"), index=True)
    owner_contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"), index=True)
    retention_days: Mapped[int] = mapped_column(Integer, default=7)
    enabled: Mapped[bool] = mapped_column(default=True)
    state: Mapped[str] = mapped_column(String(32), default="unknown")  # recording | down | unknown
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    device: Mapped[Device] = relationship(lazy="joined")
    address: Mapped[Address | None] = relationship(lazy="joined")
    owner: Mapped[Contract | None] = relationship(lazy="joined")

    @property
    def online(self) -> bool:
        return self.device is not None and self.device.state == "online" and self.state != "down"
