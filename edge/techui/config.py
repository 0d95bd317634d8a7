"""The `technician:` section of the box configuration: where the UI listens and its password policy."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class TechnicianConfigError(ValueError):
    """The `technician:` section is invalid; the message names the field and the reason."""


class TechnicianConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    port: int = Field(8080, ge=1, le=65535, title="TCP port of the technician UI")
    bind: str = Field("0.0.0.0", title="Listen address (the entrance LAN)")
    password_hash: str | None = Field(None, title="argon2 hash of the initial technician password")
    label_password: str | None = Field(None, repr=False, title="Password printed on the box label (button reset)")
    max_failures: int = Field(5, ge=1, le=100, title="Failed logins from one address before a lockout")
    lockout_seconds: float = Field(300, gt=0, le=86400, title="Lockout length")
    global_max_failures: int = Field(30, ge=1, title="Failed logins from all addresses before everyone is locked")
    session_hours: float = Field(12, gt=0, le=168, title="Login lifetime")
    log_file: str | None = Field(None, title="Log file shown on the logs page (default: {data_dir}/logs/edge.log)")
    advertise: bool = Field(True, title="Advertise the UI by zeroconf")


def parse_technician_config(raw: dict[str, Any] | None) -> TechnicianConfig:
    try:
        return TechnicianConfig.model_validate(raw or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "technician"
        raise TechnicianConfigError(f"technician.{where}: {first['msg']}") from exc
