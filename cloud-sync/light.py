"""Light live view (docs/live-light.md): the box relays its camera's sub-stream only while the portal holds a lease.

Portal -> box: the command ``live.light`` ``{"camera_id", "seconds"}`` starts the relay or extends its lease to
``seconds`` from when the box receives it (the box's own monotonic clock: no clock agreement needed);
``seconds: 0`` stops it now. The portal renews the lease while viewers fetch the playlist, so a box whose portal
forgets stops by itself when the lease lapses.

Box -> portal: ``PUT /ingest/v1/cameras/{camera}/light/{run}/{seq}`` one MPEG-TS segment (1-2 s, copied from the
sub-stream, never re-encoded), headers ``X-Content-SHA256`` and ``X-Segment-Duration``. 201 with a receipt
echoing camera, run, seq and the checksum; 409 when the portal holds no live lease for the camera (the box stops
relaying then). Light segments are live only: never retried, never archived (not in the box's catalogue, not in
the portal's archive index), dropped by the portal after about a minute.
"""

from pydantic import BaseModel, ConfigDict, Field

from cloud_sync.segments import ID_PATTERN, INGEST_PREFIX

LIGHT_CONTENT_TYPE = "video/mp2t"
MAX_LIGHT_BYTES = 4 * 1024 * 1024  # a 2 s sub-stream segment is ~50-500 KB
MAX_LEASE_SECONDS = 120.0


def light_path(camera_id: str, run_id: str, seq: int) -> str:
    return f"{INGEST_PREFIX}/cameras/{camera_id}/light/{run_id}/{seq}"


class LightArgs(BaseModel):
    """Arguments of ``live.light``."""

    model_config = ConfigDict(extra="forbid")

    camera_id: str = Field(pattern=ID_PATTERN)
    seconds: float = Field(ge=0, le=MAX_LEASE_SECONDS, description="lease from now; 0 stops the relay")
