"""The box's telemetry sample: system health (CPU, temperature, throttling, load, disk) and its cameras."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import psutil

from cloud_sync.messages import CameraTelemetry, Telemetry
from edge.status import CameraStatus

if TYPE_CHECKING:
    from cloud_sync.uploader import UploaderStats
    from edge.box import Box

_BOOT = time.monotonic()
THERMAL = Path("/sys/class/thermal/thermal_zone0/temp")
THROTTLED = Path("/sys/devices/platform/soc/soc:firmware/get_throttled")  # Raspberry Pi firmware


def temperature_c() -> float | None:
    try:
        return int(THERMAL.read_text().strip()) / 1000
    except (OSError, ValueError):
        return None


def throttled() -> int | None:
    """The Pi's under-voltage/throttling bits (0 = fine); None off a Pi."""
    try:
        return int(THROTTLED.read_text().strip(), 16)
    except (OSError, ValueError):
        return None


def _camera_entry(status: CameraStatus, light: bool) -> CameraTelemetry:
    try:
        return CameraTelemetry(
            state=status.state or "unknown",
            last_segment_at=status.last_segment,
            error=(status.last_error or "")[:300],
            light=light,
            motion=status.motion[:16],
        )
    except ValueError:
        return CameraTelemetry(state=status.state or "unknown", light=light, motion=status.motion[:16])


def light_capable(box: Box, camera_id: str) -> bool:
    """Whether this camera can feed light live view: an RTSP camera with a sub-stream (edge/light_relay.py)."""
    camera = box.config.camera(camera_id)
    return camera is not None and camera.kind == "rtsp" and bool(camera.sub_url)


def sample(box: Box, upload_stats: UploaderStats | None = None, upload_rate: float = 0.0) -> Telemetry:
    """One telemetry message from the box's own reports; each figure degrades to 'unknown' on its own."""
    status = box.report()
    disk = status.disk
    backlog = box.catalogue.backlog()
    return Telemetry(
        ts=datetime.now(UTC),
        uptime_s=round(time.monotonic() - _BOOT, 1),
        cpu_percent=psutil.cpu_percent(interval=None),
        temperature_c=temperature_c(),
        throttled=throttled(),
        load=os.getloadavg(),
        disk_total=int(disk.get("filesystem_total_bytes") or 0),
        disk_free=int(disk.get("filesystem_free_bytes") or 0),
        cameras={cid: _camera_entry(cam, light_capable(box, cid)) for cid, cam in status.cameras.items()},
        backlog_segments=sum(count for count, _ in backlog.values()),
        backlog_bytes=sum(size for _, size in backlog.values()),
        clock_synced=bool(box.clock.synced()),
        upload_rate_bps=round(upload_rate, 1),
        last_error=upload_stats.last_error if upload_stats is not None else "",
    )
