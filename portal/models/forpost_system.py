"""Tables of Forpost's clip downloads and of the System API: operator credentials of ISP platforms, their
scopes (addresses, contracts), the sessions they act through, and the log of every use."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, UTCDateTime, utcnow

SCOPE_KINDS = ("address", "contract")


class ForpostDownload(Base):
    """One GetDownloadURL: the clip of a camera from ``start_at`` for ``duration`` seconds."""

    __tablename__ = "forpost_downloads"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    login_session_id: Mapped[int | None] = mapped_column(ForeignKey("login_sessions.id", ondelete="SET NULL"))
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration: Mapped[int] = mapped_column(Integer)  # seconds
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SystemOperator(Base):
    """A System API credential (AdminLogin/AdminPassword) of an ISP platform, separate from every login of
    subscribers and console staff; it acts only for the contracts of its scope."""

    __tablename__ = "forpost_system_operators"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)
    rate_per_minute: Mapped[int] = mapped_column(Integer, default=120)
    allowed_ips: Mapped[str] = mapped_column(Text, default="")  # networks the platform calls from; "" = any
    created_by: Mapped[int | None] = mapped_column(ForeignKey("operators.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SystemScope(Base):
    """One address (entrance) or contract a System API credential may act for."""

    __tablename__ = "forpost_system_scopes"

    id: Mapped[int] = mapped_column(primary_key=True)
    system_operator_id: Mapped[int] = mapped_column(
        ForeignKey("forpost_system_operators.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))  # address | contract
    address_id: Mapped[int | None] = mapped_column(ForeignKey("addresses.id", ondelete="CASCADE"))
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"))


class SystemSession(Base):
    """The login session (kind "system-api") a credential acts through for one contract: translations and
    downloads belong to it, so revoking it (credential disabled, scope changed) ends them all."""

    __tablename__ = "forpost_system_sessions"

    login_session_id: Mapped[int] = mapped_column(ForeignKey("login_sessions.id", ondelete="CASCADE"), primary_key=True)
    system_operator_id: Mapped[int] = mapped_column(
        ForeignKey("forpost_system_operators.id", ondelete="CASCADE"), index=True
    )
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"))


class SystemUse(Base):
    """Every System API request, allowed or refused: who, for whom, from where, what, and the outcome."""

    __tablename__ = "forpost_system_uses"

    id: Mapped[int] = mapped_column(primary_key=True)
    system_operator_id: Mapped[int | None] = mapped_column(
        ForeignKey("forpost_system_operators.id", ondelete="SET NULL"), index=True
    )
    admin_login: Mapped[str] = mapped_column(String(64), default="")
    call: Mapped[str] = mapped_column(String(40))
    user_login: Mapped[str] = mapped_column(String(32), default="")
    user_ip: Mapped[str] = mapped_column(String(64), default="")
    client_ip: Mapped[str] = mapped_column(String(64), default="")
    camera: Mapped[str] = mapped_column(String(32), default="")  # the CameraID parameter as sent
    outcome: Mapped[str] = mapped_column(String(200), default="")  # "ok" or the error code and text
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
