"""Per-camera motion settings (`cameras[].motion` in the box's YAML, the technician UI and portal `config.set`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

MotionSource = Literal["auto", "sub", "main"]


class Zone(BaseModel):
    """A rectangle to ignore (a tree, a road), in fractions of the frame: x, y of the top left, width, height."""

    model_config = ConfigDict(extra="forbid")

    x: float = Field(ge=0, le=1)
    y: float = Field(ge=0, le=1)
    w: float = Field(gt=0, le=1)
    h: float = Field(gt=0, le=1)

    @field_validator("w")
    @classmethod
    def _inside_w(cls, w: float, info) -> float:  # type: ignore[no-untyped-def]
        x = info.data.get("x")
        if x is not None and x + w > 1.0001:
            raise ValueError("x + w must not pass the right edge (1.0)")
        return w

    @field_validator("h")
    @classmethod
    def _inside_h(cls, h: float, info) -> float:  # type: ignore[no-untyped-def]
        y = info.data.get("y")
        if y is not None and y + h > 1.0001:
            raise ValueError("y + h must not pass the bottom edge (1.0)")
        return h


class MotionConfig(BaseModel):
    """Off by default: detection costs CPU beside the copy recorder (docs/motion.md has the figures)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=False, title="Detect motion on this camera")
    source: MotionSource = Field(
        default="auto", title="auto: the sub-stream when configured, else the main stream; or force sub / main"
    )
    main_decode: Literal["keyframes", "all"] = Field(
        default="all", title="Main stream: decode keyframes only (cheapest, ~1 per GOP) or every frame"
    )
    fps: float = Field(default=5.0, gt=0, le=15, title="Frames analysed per second (at most)")
    sensitivity: int = Field(default=50, ge=1, le=100, title="1 (only strong changes) .. 100 (faint ones)")
    min_area: float = Field(default=1.0, gt=0, le=50, title="Smallest moving area, % of the frame")
    max_area: float = Field(
        default=60.0, gt=0, le=100, title="A change over this % of the frame is a lighting change, not motion"
    )
    hold_seconds: float = Field(default=2.0, ge=0.2, le=60, title="Motion ends after this long without any")
    zones: list[Zone] = Field(default_factory=list, max_length=32, title="Rectangles to ignore")
