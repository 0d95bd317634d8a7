"""Subscribers' contracts, the addresses (entrances) they live at, operators, and login sessions."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, UTCDateTime, utcnow

CONTRACT_STATUSES = ("active", "disabled", "blocked")


class Address(Base):
    """One entrance («подъезд») of a building: the unit a shared camera belongs to."""

    __tablename__ = "addresses"
    __table_args__ = (UniqueConstraint("city", "street", "house", "entrance"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city: Mapped[str] = mapped_column(String(100))
    street: Mapped[str] = mapped_column(String(200))
    house: Mapped[str] = mapped_column(String(20))
    entrance: Mapped[int] = mapped_column(Integer, default=1)

    @property
    def short(self) -> str:
        """The seed's camera title form: «Шахтёров 30 п.1»."""
        return f"{self.street} {self.house} п.{self.entrance}"

    @property
    def full(self) -> str:
        """The seed's address line: «г.Новокузнецк, ул.Шахтёров 30»."""
        return f"г.{self.city}, ул.{self.street} {self.house}"


class Contract(Base):
    """A subscriber account; its number is the login."""

    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(16), default="active")
    name: Mapped[str] = mapped_column(String(200), default="")
    tz: Mapped[str] = mapped_column(String(64), default="Asia/Novokuznetsk")
    address_id: Mapped[int | None] = mapped_column(ForeignKey("addresses.id"), index=True)
    flat: Mapped[str] = mapped_column(String(16), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    address: Mapped[Address | None] = relationship(lazy="joined")


class Operator(Base):
    """ISP staff who use the operator console."""

    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoginSession(Base):
    """A login of a subscriber or an operator. Only the SHA-256 of the bearer token is stored."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="web")  # web | api | forpost | transparent
    # How it was authenticated: password | ip (transparent login). Account changes need "password".
    auth: Mapped[str] = mapped_column(String(8), default="password", server_default="password")
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(default=False)
