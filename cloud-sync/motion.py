"""Box -> portal: one motion event, `PUT /ingest/v1/cameras/{camera}/motion/{motion_id}` (docs/wire.md).

Sent like gaps and segments, through the ingest with a receipt: the box marks an event sent only when the
portal's answer echoes its id (and, once it has ended, says it holds the end). MQTT alone could not promise
that: a message the broker accepts while no portal worker is subscribed (both reconnecting after a broker
restart) is dropped. PUT is idempotent: the first carries the thumbnail, a later one the end.
"""

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cloud_sync.segments import INGEST_PREFIX

MOTION_ID_PATTERN = r"^[0-9a-f]{8,64}$"
MAX_THUMBNAIL_B64 = 350_000  # ~256 KiB of JPEG; the box sends ~10-20 KB


def motion_path(camera_id: str, motion_id: str) -> str:
    return f"{INGEST_PREFIX}/cameras/{camera_id}/motion/{motion_id}"


class MotionReport(BaseModel):
    model_config = ConfigDict(extra="ignore")

    kind: str = Field(default="motion", pattern=r"^motion$")
    start: datetime
    end: datetime | None = None  # None while the motion goes on
    peak_area: float = Field(default=0.0, ge=0, le=100, description="% of the frame moving at the peak")
    thumbnail_jpeg_base64: str | None = Field(default=None, max_length=MAX_THUMBNAIL_B64)

    @field_validator("start", "end")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("must carry a zone (UTC)")
        return value.astimezone(UTC) if value is not None else None

    @field_validator("end")
    @classmethod
    def _after_start(cls, end: datetime | None, info) -> datetime | None:  # type: ignore[no-untyped-def]
        start = info.data.get("start")
        if end is not None and start is not None and end < start:
            raise ValueError("must not be before start")
        return end
