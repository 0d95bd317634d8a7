"""The `technician:` section of the box configuration: where the UI listens and its password policy.

A nested model of `edge.config.EdgeConfig`, so a bad value is refused when the config is loaded (one sentence
naming `technician.<field>`); the password and its hash are `SecretStr`, never shown in logs or dumps."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator


class TechnicianConfigError(ValueError):
    """The `technician:` section is invalid; the message names the field and the reason."""


class TechnicianConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    port: int = Field(8080, ge=1, le=65535, title="TCP port of the technician UI", description="HTTP on the LAN.")
    bind: str = Field("0.0.0.0", title="Listen address (the entrance LAN)", description="An address of this box.")
    password_hash: SecretStr | None = Field(
        None,
        title="argon2 hash of the initial technician password",
        description="Used at first start (wins over label_password); `$argon2id$...`.",
    )
    label_password: SecretStr | None = Field(
        None,
        title="Password printed on the box label (button reset)",
        description="The first password when no hash is given, and what a held service button restores.",
    )
    max_failures: int = Field(
        5, ge=1, le=100, title="Failed logins from one address before a lockout", description="Per client address."
    )
    lockout_seconds: float = Field(300, gt=0, le=86400, title="Lockout length", description="Seconds.")
    global_max_failures: int = Field(
        30, ge=1, title="Failed logins from all addresses before everyone is locked", description="Across addresses."
    )
    session_hours: float = Field(12, gt=0, le=168, title="Login lifetime", description="Hours.")
    log_file: str | None = Field(
        None,
        title="Log file shown on the logs page (default: {data_dir}/logs/edge.log)",
        description="Path on the box.",
    )
    advertise: bool = Field(True, title="Advertise the UI by zeroconf", description="_http._tcp on the LAN.")

    @field_validator("password_hash")
    @classmethod
    def _argon2(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("$argon2"):
            raise ValueError("must be an argon2 hash ($argon2id$...); put a plain password in label_password")
        return value


def parse_technician_config(raw: TechnicianConfig | dict[str, Any] | None) -> TechnicianConfig:
    """The `technician:` section (already checked when the config loaded, or a dict); None: the defaults."""
    if isinstance(raw, TechnicianConfig):
        return raw
    try:
        return TechnicianConfig.model_validate(raw or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "technician"
        raise TechnicianConfigError(f"technician.{where}: {first['msg']}") from exc
