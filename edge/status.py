"""The box's status: one typed model that telemetry, the technician UI and the GPIO LED all read.

``Box.report()`` builds it; ``Box.status()`` is its JSON form (``model_dump``), for logs, tests and the
technician UI's templates. Camera ``state`` is the supervisor's (starting, recording, down, backoff, stopped),
or, for a camera without one, paused (home mode) or disabled.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field, field_validator


class OpenGap(BaseModel):
    start: str  # RFC 3339 UTC (cloud_sync.segments.format_time)
    reason: str


class CameraStatus(BaseModel):
    id: str = ""
    name: str = ""
    kind: str = "rtsp"
    url: str = ""  # the credentials masked
    state: str = "unknown"
    last_error: str | None = None
    last_error_detail: str | None = None
    restarts: int = 0
    backoff_seconds: float = 0.0
    current_run: str | None = None  # the run being recorded, only while recording
    last_segment: str | None = None  # end of the last committed segment, RFC 3339 UTC
    open_gap: OpenGap | None = None
    motion: str = ""  # the motion detector's state (edge/motion/worker.py MotionWorker.state); "" when motion is off


class BoxStatus(BaseModel):
    device_id: str = ""
    cameras: dict[str, CameraStatus] = Field(default_factory=dict)
    # edge.archive.storage.storage_report(): figures in bytes (filesystem_free_bytes, disk_reserve, ...).
    disk: dict[str, Any] = Field(default_factory=dict)

    @field_validator("cameras", mode="before")
    @classmethod
    def _keyed_by_id(cls, cameras: Any) -> Any:
        """A list of cameras (as the technician UI shows them) is keyed by each camera's id."""
        if isinstance(cameras, list):
            return {str(c.get("id") or i): c for i, c in enumerate(cameras)}
        return cameras or {}

    @classmethod
    def of(cls, status: BoxStatus | Mapping[str, Any]) -> BoxStatus:
        """The model itself, or one read from its JSON form (a status received or written by hand)."""
        return status if isinstance(status, BoxStatus) else cls.model_validate(dict(status))
