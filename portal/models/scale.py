"""Scale-out bookkeeping: which MQTT consumer slots (stable client ids, hence broker sessions) exist."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, UTCDateTime, utcnow


class ConsumerSlot(Base):
    """A portal consumer session at the broker (client id ``<prefix>-<slot>``), kept while its session may
    still hold messages: a slot whose worker died is adopted and drained by a live worker (portal/fleet/slots.py)."""

    __tablename__ = "mqtt_consumer_slots"

    slot: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    client_id: Mapped[str] = mapped_column(String(128))
    holder: Mapped[str] = mapped_column(String(128), default="")  # host:pid of the last worker that held it
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
