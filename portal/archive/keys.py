"""Object key layout: by camera, then UTC day, so listing and lifecycle rules work per camera and day.

    {camera}/{YYYY-MM-DD}/{run_id}/{seq:08d}.{sha8}.m4s   media segment (day of its UTC start)
    {camera}/init/{run_id}.{sha8}.mp4                      init segment of a run (runs cross midnight)

The checksum prefix makes a key name exactly one content: a racing upload of other bytes for the same
(run, seq) can never overwrite the object an index row points to.
"""

from datetime import UTC, datetime


def _utc(moment: datetime) -> datetime:
    """Keys name UTC days: an aware time is converted, a naive one is taken as UTC (never as local time)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def segment_key(camera_id: str, run_id: str, seq: int, start: datetime, sha256: str) -> str:
    return f"{camera_id}/{_utc(start):%Y-%m-%d}/{run_id}/{seq:08d}.{sha256[:8]}.m4s"


def init_key(camera_id: str, run_id: str, sha256: str) -> str:
    return f"{camera_id}/init/{run_id}.{sha256[:8]}.mp4"


def day_prefix(camera_id: str, day: datetime) -> str:
    return f"{camera_id}/{_utc(day):%Y-%m-%d}/"
