"""MQTT payloads under ``dozor/v1/{device_id}/…``: JSON validated by these models on both sides.

Every message carries ``v`` (the wire version) and ``ts`` (when the sender made it, UTC). Unknown fields are
ignored so a newer box can talk to an older portal within v1; a breaking change becomes ``dozor/v2``.
"""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cloud_sync.light import LightArgs
from cloud_sync.segments import ID_PATTERN

EventType = Literal["camera_up", "camera_down", "gap", "tamper", "disk_full", "button", "power_cycle", "ota"]
EVENT_TYPES: tuple[str, ...] = get_args(EventType)
COMMAND_NAMES = (
    "config.set",
    "upload.range",
    "camera.power_cycle",
    "relay.pulse",
    "snapshot",
    "reboot",
    "ping",
    "ota.install",
    "live.light",
)
MAX_PULSE_SECONDS = 30.0
CommandStatus = Literal["ok", "failed", "expired", "interrupted"]

# How long after the portal sends it a command may still start on the box. A command with a physical effect
# (a door strike, a camera's power) is worth nothing later than the moment somebody asked for it: it never runs
# late. Only config and uploads, which converge to what the portal wants whenever they run, may wait for days
# (the broker keeps a box's queued commands for a week).
COMMAND_LIFETIME: dict[str, timedelta] = {
    "relay.pulse": timedelta(seconds=10),
    "camera.power_cycle": timedelta(minutes=1),
    "snapshot": timedelta(seconds=30),
    "ping": timedelta(minutes=1),
    "live.light": timedelta(seconds=15),  # a viewer waits for it; later it starts an upload nobody watches
    "reboot": timedelta(minutes=10),
    "config.set": timedelta(days=7),
    "upload.range": timedelta(days=7),
    "ota.install": timedelta(days=2),  # a rollout wave waits for it; a box offline longer is offered again
}
MAY_RUN_LATE = frozenset({"config.set", "upload.range", "ota.install"})


def now_utc() -> datetime:
    return datetime.now(UTC)


def new_request_id() -> str:
    return uuid.uuid4().hex


def command_deadline(name: str, sent_at: datetime | None = None) -> datetime:
    """The absolute deadline of command `name` sent at `sent_at` (now): after it the box answers "expired"."""
    lifetime = COMMAND_LIFETIME.get(name, timedelta(minutes=1))
    return (sent_at or now_utc()) + lifetime


class WireModel(BaseModel):
    model_config = ConfigDict(extra="ignore")

    v: Literal[1] = 1
    ts: datetime = Field(default_factory=now_utc)

    @field_validator("ts")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("ts must carry a zone (UTC)")
        return value.astimezone(UTC)

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()


class Status(WireModel):
    """Retained at ``status``. Birth says online, the last will says offline with the same session.

    ``session`` grows by one at every connect of the box, so a will from an earlier connection (delivered
    late, e.g. after a broker restart) is recognisable: its session is lower than the newest birth's.
    """

    state: Literal["online", "offline"]
    session: int = Field(ge=0)
    firmware: str = ""
    reason: str = ""  # offline: "will" (connection lost) | "shutdown" (clean stop)


class CameraTelemetry(BaseModel):
    model_config = ConfigDict(extra="ignore")

    state: str = "unknown"  # recording | down | starting | disabled | unknown
    last_segment_at: datetime | None = None
    error: str = ""
    light: bool = False  # the box can relay a light live stream (a sub-stream is configured): docs/live-light.md
    motion: str = ""  # its motion detector: starting | watching | retrying | failed | stopped; "" when off


class Telemetry(WireModel):
    """Published every N seconds at ``telemetry``."""

    uptime_s: float = 0
    cpu_percent: float | None = None
    temperature_c: float | None = None
    throttled: int | None = None  # the Pi's get_throttled bit field; None where unknown
    load: tuple[float, float, float] | None = None
    disk_total: int = 0
    disk_free: int = 0
    cameras: dict[str, CameraTelemetry] = Field(default_factory=dict)
    backlog_segments: int = 0
    backlog_bytes: int = 0
    clock_synced: bool = False
    upload_rate_bps: float = 0
    last_error: str = ""


class Event(WireModel):
    """Published at ``event/{type}``. ``id`` makes a redelivered event idempotent at the portal."""

    id: str = Field(default_factory=new_request_id, min_length=8, max_length=64)
    type: EventType
    camera_id: str | None = Field(default=None, pattern=ID_PATTERN)
    data: dict[str, Any] = Field(default_factory=dict)


class Command(WireModel):
    """Portal -> box at ``cmd/{name}``. The box executes a request id at most once, and never after ``expires_at``.

    ``expires_at`` is required: the box compares it with its own clock right before acting (also for a command
    recovered after a crash) and answers ``status: "expired"`` without acting once it has passed.
    """

    request_id: str = Field(default_factory=new_request_id, min_length=8, max_length=64)
    args: dict[str, Any] = Field(default_factory=dict)
    expires_at: datetime

    @field_validator("expires_at")
    @classmethod
    def _deadline_aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("expires_at must carry a zone (UTC)")
        return value.astimezone(UTC)

    def expired(self, now: datetime | None = None) -> bool:
        return (now or now_utc()) >= self.expires_at


class CommandResult(WireModel):
    """Box -> portal at ``cmd/{name}/result``."""

    request_id: str = Field(min_length=8, max_length=64)
    ok: bool
    # ok | failed (refused or raised) | expired (deadline passed, nothing done) | interrupted (cut off by a crash)
    status: CommandStatus | None = None
    result: dict[str, Any] = Field(default_factory=dict)
    error: str = ""
    replayed: bool = False  # answered from the box's store of executed commands

    @model_validator(mode="after")
    def _status(self) -> "CommandResult":
        if self.status is None:  # a box of an earlier v1 sends only ok
            self.status = "ok" if self.ok else "failed"
        elif (self.status == "ok") != self.ok:
            raise ValueError(f"status {self.status!r} contradicts ok={self.ok}")
        return self


# Arguments of each command; the box validates them before acting.


class CameraSpec(BaseModel):
    model_config = ConfigDict(extra="allow")  # the edge's camera config owns the full schema

    id: str = Field(pattern=ID_PATTERN)


class ConfigSetArgs(BaseModel):
    """Either the box's complete camera list (every entry has ``url``) or a patch (no entry has ``url``).

    A patch changes only the cameras it names: their listed fields are merged into the box's config.
    ``recording`` (true/false) is not camera config but a pause switch (home mode) the box keeps in its state;
    a full list leaves it as it is unless an entry says otherwise.
    """

    cameras: list[CameraSpec] = Field(min_length=1)
    # The box's archive depth (days): the portal sends the largest depth the box's cameras must keep (billing).
    retention_days: int | None = Field(default=None, ge=1, le=366)

    @property
    def is_patch(self) -> bool:
        return not any(_has_url(c) for c in self.cameras)

    @field_validator("cameras")
    @classmethod
    def _not_mixed(cls, cameras: list[CameraSpec]) -> list[CameraSpec]:
        with_url = sum(_has_url(c) for c in cameras)
        if 0 < with_url < len(cameras):
            raise ValueError("mixes full camera entries (with url) and patches (without); send one kind")
        seen: set[str] = set()
        for camera in cameras:
            if camera.id in seen:
                raise ValueError(f"camera id {camera.id!r} appears twice")
            seen.add(camera.id)
            recording = (camera.model_extra or {}).get("recording")
            if recording is not None and not isinstance(recording, bool):
                raise ValueError(f"camera {camera.id!r}: recording must be true or false")
        return cameras


def _has_url(camera: CameraSpec) -> bool:
    return "url" in (camera.model_extra or {})


class UploadRangeArgs(BaseModel):
    camera_id: str = Field(pattern=ID_PATTERN)
    start: datetime
    end: datetime
    priority: int = Field(default=10, ge=0, le=100, description="higher first; the live tail is 5, backlog 0")

    @field_validator("end")
    @classmethod
    def _ordered(cls, end: datetime, info: Any) -> datetime:
        start = info.data.get("start")
        if start is not None and end <= start:
            raise ValueError("end must be after start")
        return end


class CameraArgs(BaseModel):
    camera_id: str = Field(pattern=ID_PATTERN)


class RelayPulseArgs(BaseModel):
    """Switch a relay away from its resting state for ``seconds`` (a door strike: energised, then released).

    ``relay`` names it (``gpio.relays`` on the box); without it the relay named after ``camera_id`` is meant.
    Forpost sends both: the camera the viewer is looking at and the door relay bound to it.
    """

    relay: str | None = Field(default=None, pattern=ID_PATTERN)
    camera_id: str | None = Field(default=None, pattern=ID_PATTERN)
    seconds: float = Field(default=1.0, gt=0, le=MAX_PULSE_SECONDS)

    @model_validator(mode="after")
    def _target(self) -> "RelayPulseArgs":
        if self.relay is None and self.camera_id is None:
            raise ValueError("relay.pulse needs relay (a relay name) or camera_id")
        return self

    @property
    def target(self) -> str:
        return self.relay or self.camera_id or ""


class OtaInstallArgs(BaseModel):
    """Install a signed bundle (docs/ota.md): the box downloads it (ranged, resumable), checks this hash, then
    the signature and every file, and reports progress as `ota` events."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(pattern=r"^https?://", max_length=2000)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    version: str = Field(pattern=r"^\d{1,6}(\.\d{1,6}){0,3}$")
    size: int = Field(ge=1)


class NoArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")


COMMAND_ARGS: dict[str, type[BaseModel]] = {
    "config.set": ConfigSetArgs,
    "upload.range": UploadRangeArgs,
    "camera.power_cycle": CameraArgs,
    "relay.pulse": RelayPulseArgs,
    "snapshot": CameraArgs,
    "reboot": NoArgs,
    "ping": NoArgs,
    "ota.install": OtaInstallArgs,
    "live.light": LightArgs,
}


def validate_args(name: str, args: dict[str, Any]) -> BaseModel:
    """The typed arguments of a command; ValueError naming the command when unknown or invalid."""
    model = COMMAND_ARGS.get(name)
    if model is None:
        raise ValueError(f"unknown command {name!r}; known: {', '.join(COMMAND_NAMES)}")
    return model.model_validate(args)
