"""Which single state the LED shows, derived from the box status, the uplink and the switches."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from edge.gpio.patterns import BoxState
from edge.status import BoxStatus

# Camera states that mean "this camera is not recording as it should".
FAULTY_CAMERA_STATES = {"down", "failed", "error", "stalled", "auth_failed", "unreachable", "backoff"}


def camera_fault(status: BoxStatus) -> bool:
    return any(camera.state.lower() in FAULTY_CAMERA_STATES for camera in status.cameras.values())


def disk_problem(status: BoxStatus) -> bool:
    disk = status.disk
    if disk.get("disk_full") or disk.get("error"):
        return True
    free, reserve = disk.get("filesystem_free_bytes"), disk.get("disk_reserve")
    # Below the reserve the box evicts in emergency and may pause recording.
    return isinstance(free, int) and isinstance(reserve, int) and free < reserve


def derive_state(
    status: BoxStatus | Mapping[str, Any] | None,
    *,
    uplink_up: bool | None,
    tamper_open: bool,
    identifying: bool,
    booting: bool,
) -> BoxState:
    """Most urgent first; `uplink_up=None` means the box has no portal link configured (not a fault)."""
    if identifying:
        return BoxState.IDENTIFY
    if booting or status is None:
        return BoxState.BOOTING
    status = BoxStatus.of(status)
    if disk_problem(status):
        return BoxState.DISK_PROBLEM
    if tamper_open:
        return BoxState.TAMPER
    if camera_fault(status):
        return BoxState.CAMERA_FAULT
    if uplink_up is False:
        return BoxState.NO_UPLINK
    return BoxState.OK
