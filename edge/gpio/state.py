"""Which single state the LED shows, derived from the box status, the uplink and the switches."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from edge.gpio.patterns import BoxState

# Camera states that mean "this camera is not recording as it should".
FAULTY_CAMERA_STATES = {"down", "failed", "error", "stalled", "auth_failed", "unreachable", "backoff"}


def _cameras(status: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    cameras = status.get("cameras") or []
    return cameras.values() if isinstance(cameras, Mapping) else cameras


def camera_fault(status: Mapping[str, Any]) -> bool:
    for camera in _cameras(status):
        if camera.get("enabled", True) is False:
            continue
        if str(camera.get("state", "")).lower() in FAULTY_CAMERA_STATES:
            return True
    return False


def disk_problem(status: Mapping[str, Any]) -> bool:
    disk = status.get("disk") or status.get("storage") or {}
    if not isinstance(disk, Mapping):
        return False
    if disk.get("disk_full") or disk.get("error"):
        return True
    free, reserve = disk.get("filesystem_free_bytes"), disk.get("disk_reserve")
    # Below the reserve the box evicts in emergency and may pause recording.
    return isinstance(free, int) and isinstance(reserve, int) and free < reserve


def derive_state(
    status: Mapping[str, Any] | None,
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
    if disk_problem(status):
        return BoxState.DISK_PROBLEM
    if tamper_open:
        return BoxState.TAMPER
    if camera_fault(status):
        return BoxState.CAMERA_FAULT
    if uplink_up is False:
        return BoxState.NO_UPLINK
    return BoxState.OK
