"""The `gpio:` section of the box configuration (pins are BCM numbers).

A nested model of `edge.config.EdgeConfig`, so a bad value is refused when the config is loaded (one sentence
naming `gpio.<field>`), before anything starts."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator


class GpioConfigError(ValueError):
    """The `gpio:` section is invalid; the message names the field and the reason."""


class GpioConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    led_pin: int | None = Field(
        None, ge=0, le=27, title="Status LED pin (BCM)", description="Blinks the box state; unset: no LED wired."
    )
    button_pin: int | None = Field(
        None,
        ge=0,
        le=27,
        title="Service button pin (BCM), active low",
        description="Short press: identify; held reset_hold_seconds: technician password reset.",
    )
    tamper_pin: int | None = Field(
        None,
        ge=0,
        le=27,
        title="Tamper switch pin (BCM), closed = lid open",
        description="Opening the enclosure sends event/tamper to the portal.",
    )
    relays: dict[str, int] = Field(
        default_factory=dict,
        title="Relay name -> pin (BCM): a camera id names its power relay, any other name (door) a pulse relay",
        description="Camera power relays rest energised; a door strike rests released and is pulsed by relay.pulse.",
    )
    relay_active_high: bool = Field(
        True, title="Relay board energises on a high level", description="False for boards that switch on low."
    )
    relay_after_failures: int = Field(
        5,
        ge=1,
        le=1000,
        title="Power-cycle a camera after this many failed reconnects",
        description="Automatic power cycle of a camera that stopped answering.",
    )
    relay_off_seconds: float = Field(
        5.0, gt=0, le=120, title="How long the camera stays unpowered", description="Seconds of a power cycle."
    )
    relay_cooldown_seconds: float = Field(
        300.0,
        ge=0,
        title="Minimum time between automatic cycles of one camera",
        description="Keeps a broken camera from being cycled in a loop.",
    )
    reset_hold_seconds: float = Field(
        10.0,
        gt=0,
        le=60,
        title="Button hold that resets the technician password",
        description="Seconds the service button must be held.",
    )
    identify_seconds: float = Field(
        20.0, gt=0, le=600, title="How long the LED blinks the identify pattern", description="Seconds."
    )

    @field_validator("relays")
    @classmethod
    def _relay_pins(cls, relays: dict[str, int]) -> dict[str, int]:
        for name, pin in relays.items():
            if not 0 <= pin <= 27:
                raise ValueError(f"relay pin for {name!r} must be 0..27, got {pin}")
        return relays

    @model_validator(mode="after")
    def _distinct_pins(self) -> GpioConfig:
        used: dict[int, str] = {}
        named = [("led_pin", self.led_pin), ("button_pin", self.button_pin), ("tamper_pin", self.tamper_pin)]
        named += [(f"relays.{cam}", pin) for cam, pin in self.relays.items()]
        for name, pin in named:
            if pin is None:
                continue
            if pin in used:
                raise ValueError(f"{name}: pin {pin} is already used by {used[pin]}")
            used[pin] = name
        return self


def pulse_relay_names(config: GpioConfig, camera_ids: Collection[str]) -> list[str]:
    """The relays that are not a camera's power relay (a door strike): named other than every camera."""
    return [name for name in config.relays if name not in camera_ids]


def parse_gpio_config(raw: GpioConfig | dict[str, Any] | None) -> GpioConfig:
    """The `gpio:` section (already checked when the config loaded, or a dict); None means "no GPIO wired"."""
    if isinstance(raw, GpioConfig):
        return raw
    try:
        return GpioConfig.model_validate(raw or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "gpio"
        raise GpioConfigError(f"gpio.{where}: {first['msg']}") from exc
