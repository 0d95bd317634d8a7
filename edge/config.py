"""The box's configuration: pydantic models loaded from a YAML file (`dozor edge run --config FILE`).

Credentials are accepted separately or inside the camera URL; either way they are kept out of the URL we
show (`masked_url`) and the password is a `SecretStr`, so logs, status and API output never carry it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

from cloud_sync.segments import ID_PATTERN
from edge.gpio.config import GpioConfig
from edge.motion.config import MotionConfig
from edge.techui.config import TechnicianConfig

SourceKind = Literal["rtsp", "picamera", "synthetic"]

_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?i?B?)\s*$", re.IGNORECASE)
_SIZE_UNITS = {
    "": 1,
    "B": 1,
    "K": 1000,
    "KB": 1000,
    "KIB": 1024,
    "KI": 1024,
    "M": 1000**2,
    "MB": 1000**2,
    "MIB": 1024**2,
    "MI": 1024**2,
    "G": 1000**3,
    "GB": 1000**3,
    "GIB": 1024**3,
    "GI": 1024**3,
    "T": 1000**4,
    "TB": 1000**4,
    "TIB": 1024**4,
    "TI": 1024**4,
}


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file or field and what to do."""


def parse_size(value: int | str) -> int:
    """Bytes from an int or a string such as "2GB", "500 MiB" (decimal units for KB/MB/GB, binary for KiB...)."""
    if isinstance(value, bool):
        raise ValueError("must be a number of bytes or a size such as '2GB'")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("must not be negative")
        return int(value)
    match = _SIZE_RE.match(str(value))
    if not match or match.group(2).upper() not in _SIZE_UNITS:
        raise ValueError(f"{value!r} is not a size; write bytes or e.g. '2GB', '500MB', '1GiB'")
    return int(float(match.group(1)) * _SIZE_UNITS[match.group(2).upper()])


def infer_kind(url: str) -> SourceKind:
    lowered = url.strip().lower()
    if lowered.startswith(("rtsp://", "rtsps://")):
        return "rtsp"
    if lowered == "picamera" or lowered.startswith("picamera:"):
        return "picamera"
    if lowered.startswith(("lavfi:", "synthetic:")) or lowered == "synthetic":
        return "synthetic"
    raise ValueError(f"cannot tell the source from url {mask_url(url)!r}; use rtsp://..., picamera or lavfi:testsrc2")


def mask_url(url: str) -> str:
    """The URL with any user:password@ part replaced, safe for logs."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, f"***:***@{host}", parts.path, parts.query, parts.fragment))


class CameraConfig(BaseModel):
    """One camera of the box."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=ID_PATTERN, title="Camera id (global; the portal binds it to this box)")
    name: str = Field(default="", title="Display name (defaults to the id)")
    kind: SourceKind = Field(default="rtsp", title="Source kind, inferred from the URL scheme")
    url: str = Field(min_length=1, title="rtsp://host/path, picamera, or lavfi:testsrc2 (synthetic)")
    sub_url: str | None = Field(default=None, title="Optional sub stream (RTSP): motion detection's cheap source")
    username: str | None = Field(default=None, title="Camera user (or inside the URL)")
    password: SecretStr | None = Field(default=None, title="Camera password (or inside the URL); never shown")
    enabled: bool = True
    segment_seconds: int = Field(default=6, ge=1, le=30, title="Target segment length; cut on the next keyframe")
    width: int = Field(default=640, ge=16, le=4096, title="Synthetic/picamera frame width")
    height: int = Field(default=360, ge=16, le=4096, title="Synthetic/picamera frame height")
    fps: int = Field(default=10, ge=1, le=60, title="Synthetic/picamera frame rate")
    stall_seconds: float | None = Field(
        default=None, gt=0, title="Restart when no segment arrives for this long (default 3 segments + 5 s)"
    )
    motion: MotionConfig = Field(default_factory=MotionConfig, title="Motion detection (docs/motion.md)")

    @model_validator(mode="before")
    @classmethod
    def _infer(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        url = data.get("url")
        if isinstance(url, str):
            if "kind" not in data or data["kind"] is None:
                data["kind"] = infer_kind(url)
            url, user, password = _split_credentials(url)
            data["url"] = url
            if user is not None and data.get("username") is None:
                data["username"] = user
            if password is not None and data.get("password") is None:
                data["password"] = password
        if not data.get("name"):
            data["name"] = data.get("id", "")
        return data

    @field_validator("sub_url")
    @classmethod
    def _sub_url(cls, value: str | None) -> str | None:
        if value is not None and not value.lower().startswith(("rtsp://", "rtsps://")):
            raise ValueError("must be an rtsp:// URL")
        return value

    def masked_url(self) -> str:
        """The URL with credentials masked, for logs, status and API output."""
        if self.username or self.password:
            return mask_url(_with_credentials(self.url, "u", "p"))
        return mask_url(self.url)

    def credentialed_url(self, url: str | None = None) -> str:
        """The URL that ffmpeg connects to, credentials included. Never log this."""
        target = url or self.url
        if self.kind != "rtsp" or not (self.username or self.password):
            return target
        password = self.password.get_secret_value() if self.password else ""
        return _with_credentials(target, self.username or "", password)

    def lavfi_source(self) -> str:
        """The lavfi source name of a synthetic camera ("lavfi:testsrc" -> "testsrc"; default testsrc2)."""
        _, _, rest = self.url.partition(":")
        return rest.strip() or "testsrc2"

    def stall_bound(self) -> float:
        return self.stall_seconds or 3 * self.segment_seconds + 5.0

    def persisted(self) -> dict[str, Any]:
        """Plain dict including the secret, for the box's own state file only."""
        data = self.model_dump(mode="python")
        data["password"] = self.password.get_secret_value() if self.password else None
        return data


def _split_credentials(url: str) -> tuple[str, str | None, str | None]:
    parts = urlsplit(url)
    if not parts.scheme.lower().startswith("rtsp") or (parts.username is None and parts.password is None):
        return url, None, None
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    bare = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    user = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    return bare, user, password


def _with_credentials(url: str, user: str, password: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    cred = f"{quote(user, safe='')}:{quote(password, safe='')}@"
    return urlunsplit((parts.scheme, cred + host, parts.path, parts.query, parts.fragment))


class PortalLink(BaseModel):
    """How the box reaches the portal (absent = record only)."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, title="Portal base URL, e.g. https://video.example.net")
    upload_token: SecretStr = Field(
        default=SecretStr(""), title="Device upload token (Bearer)", description="Never shown in logs or dumps."
    )
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = Field(default=1883, ge=1, le=65535)
    mqtt_username: str | None = Field(default=None, title="Defaults to the device id")
    mqtt_password: SecretStr = Field(
        default=SecretStr(""), title="MQTT password of this box", description="Never shown in logs or dumps."
    )
    mqtt_tls: bool = False
    mqtt_protocol: Literal["5", "3.1.1"] = Field(default="5", title="MQTT 5 (production brokers) or 3.1.1")
    upload_concurrency: int = Field(default=2, ge=1, le=16)
    bandwidth_kbps: int = Field(default=0, ge=0, title="Upload cap in kbit/s; 0 = unlimited")


class OtaConfig(BaseModel):
    """Over-the-air updates (docs/ota.md): where the release slots live, whom to trust, how long the gate waits."""

    model_config = ConfigDict(extra="forbid")

    root: Path = Field(default=Path("/opt/dozor"), title="Holds releases/<version>/, the current and good links")
    keys: list[Path] = Field(
        default_factory=lambda: [Path("/etc/dozor/ota-keys")],
        title="Trusted Ed25519 public keys (PEM files or directories of *.pub); several allow key rotation",
    )
    gate_seconds: float = Field(default=300.0, gt=0, le=3600, title="Bound of the health gate after a switch")
    gate_attempts: int = Field(default=2, ge=1, le=5, title="Gate runs (interrupted by power cuts) before rollback")
    selftest: bool = Field(default=True, title="The gate requires the new release's self-test to pass")
    bandwidth_kbps: int = Field(default=0, ge=0, title="Download cap in kbit/s; 0 = the portal's upload cap")
    system_site_packages: bool = Field(default=True, title="Slot venvs see Debian's packages (picamera2)")
    base_site_packages: Path | None = Field(
        default=None, title="Development/tests only: slot venvs reuse this site-packages (no pip wheels needed)"
    )


class EdgeConfig(BaseModel):
    """The whole box."""

    model_config = ConfigDict(extra="forbid")

    device_id: str = Field(pattern=ID_PATTERN)
    data_dir: Path
    cameras: list[CameraConfig] = Field(default_factory=list)
    retention_days: int = Field(default=7, ge=1, le=366)
    byte_budget: int = Field(default=0, title="Archive byte budget; 0 = derived from the disk size")
    disk_reserve: int = Field(default=200_000_000, title="Free space kept on the disk (emergency eviction below)")
    ffmpeg: str | None = Field(default=None, title="ffmpeg binary (default: the imageio-ffmpeg wheel's)")
    restart_backoff_max: float = Field(default=30.0, gt=0, le=3600, title="Cap of the restart backoff (s)")
    reboot_command: list[str] = Field(
        default_factory=lambda: ["systemctl", "reboot"], min_length=1, title="argv the portal's `reboot` command runs"
    )
    portal: PortalLink | None = None
    ota: OtaConfig | None = Field(default=None, title="Over-the-air updates (absent: the box refuses bundles)")
    gpio: GpioConfig | None = Field(
        default=None,
        title="GPIO wiring (BCM pins)",
        description="Status LED, service button, tamper switch and relays; checked at load like every other field.",
    )
    technician: TechnicianConfig | None = Field(
        default=None,
        title="Technician UI on the LAN",
        description="Port, bind address, initial password (SecretStr) and lockout policy.",
    )

    @field_validator("byte_budget", "disk_reserve", mode="before")
    @classmethod
    def _size(cls, value: Any) -> int:
        return parse_size(value)

    @field_validator("cameras")
    @classmethod
    def _unique(cls, cameras: list[CameraConfig]) -> list[CameraConfig]:
        seen: set[str] = set()
        for camera in cameras:
            if camera.id in seen:
                raise ValueError(f"camera id {camera.id!r} appears twice; camera ids must be unique")
            seen.add(camera.id)
        return cameras

    @model_validator(mode="after")
    def _mqtt_user(self) -> EdgeConfig:
        if self.portal is not None and not self.portal.mqtt_username:
            self.portal.mqtt_username = self.device_id
        return self

    def camera(self, camera_id: str) -> CameraConfig | None:
        return next((c for c in self.cameras if c.id == camera_id), None)


def describe_validation_error(exc: ValidationError) -> str:
    """One sentence naming the first bad field and why; secrets are never echoed."""
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "(top level)"
    return f"field {field!r}: {first['msg']}"


def load_config(path: str | Path) -> EdgeConfig:
    """Read and validate the YAML config; raise ConfigError naming the file/field and what to do."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}; check the path") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"config file {path} is not valid YAML{where}; fix the syntax") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must be a YAML mapping with device_id, data_dir and cameras")
    try:
        return EdgeConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"config file {path}: {describe_validation_error(exc)}; fix that field") from None
