"""Tables of the Forpost mobile API: session IP binding, numeric camera ids, translations, door relays,
"I'm home" mode and push tokens."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, UTCDateTime, utcnow

TRANSLATION_STATES = ("new", "activated", "closed")
TRANSLATION_FORMATS = ("HLS", "JPG", "H264")
CONTROLLED_DEVICE_KINDS = ("door", "camera_power")


class ForpostSession(Base):
    """The Forpost side of a LoginSession (kind="forpost"): the client IP it is bound to, if any."""

    __tablename__ = "forpost_sessions"

    login_session_id: Mapped[int] = mapped_column(ForeignKey("login_sessions.id", ondelete="CASCADE"), primary_key=True)
    bound_ip: Mapped[str] = mapped_column(String(64), default="")  # "" = not bound


class ForpostCameraNumber(Base):
    """Forpost apps expect integer CameraIDs; ours are strings, so each camera gets a stable number."""

    __tablename__ = "forpost_camera_numbers"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"), unique=True)


class Translation(Base):
    """One unguessable, short-lived video URL handed to an app: new -> activated -> closed."""

    __tablename__ = "forpost_translations"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    login_session_id: Mapped[int | None] = mapped_column(ForeignKey("login_sessions.id", ondelete="SET NULL"))
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"), index=True)
    format: Mapped[str] = mapped_column(String(8))  # HLS | JPG | H264
    start_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None = live
    tz_offset: Mapped[int] = mapped_column(Integer, default=0)  # the viewer's offset, seconds east of UTC
    light: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(12), default="new", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_access: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    close_reason: Mapped[str] = mapped_column(
        String(16), default=""
    )  # stop | timeout | idle | logout | revoked | delivered


class ControlledDevice(Base):
    """Something a box switches for a camera's viewer: the entrance door relay, the camera power relay."""

    __tablename__ = "forpost_controlled_devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="door")  # door | camera_power
    command: Mapped[str] = mapped_column(String(64))  # box command name, e.g. "relay.pulse"
    args_json: Mapped[str] = mapped_column(Text, default="{}")


class HomeMode(Base):
    """ "I'm home" on a private camera: while enabled, recording and notifications pause."""

    __tablename__ = "forpost_home_modes"

    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    enabled: Mapped[bool] = mapped_column(default=False)
    box_result: Mapped[str] = mapped_column(String(32), default="")  # what the box answered: ok | offline | ...
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PushToken(Base):
    """A phone's push token (SetIOSToken), kept per subscriber and device."""

    __tablename__ = "forpost_push_tokens"
    __table_args__ = (UniqueConstraint("contract_id", "device_uid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    login_session_id: Mapped[int | None] = mapped_column(ForeignKey("login_sessions.id", ondelete="SET NULL"))
    device_uid: Mapped[str] = mapped_column(String(128))
    device_token: Mapped[str] = mapped_column(String(512))
    app_name: Mapped[str] = mapped_column(String(100), default="")
    app_version: Mapped[str] = mapped_column(String(32), default="")
    device_name: Mapped[str] = mapped_column(String(200), default="")
    device_model: Mapped[str] = mapped_column(String(100), default="")
    device_version: Mapped[str] = mapped_column(String(32), default="")
    push_badge: Mapped[bool] = mapped_column(default=True)
    push_alert: Mapped[bool] = mapped_column(default=True)
    push_sound: Mapped[bool] = mapped_column(default=True)
    client_id: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
