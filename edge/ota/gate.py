"""The health gate's verdict on one look at the new release: what is still missing, or nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cloud_sync.segments import parse_time

SANE_PORTAL = ("up", "retrying", "none")
STALE_SECONDS = 15.0


@dataclass
class Look:
    pid: int
    started: float  # wall clock when the release was started
    ready: bool  # READY=1 arrived on the supervisor's notify socket from this child
    health: dict[str, Any] | None
    now: float
    need_selftest: bool


def missing(look: Look) -> list[str]:
    """Empty when the release is healthy; else one phrase per unmet condition (the rollback reason)."""
    problems: list[str] = []
    if not look.ready:
        problems.append("no systemd READY=1 notification")
    health = look.health
    if health is None or health.get("pid") != look.pid or look.now - float(health.get("at", 0)) > STALE_SECONDS:
        problems.append("no health report from the new process")
        return problems
    for camera in health.get("enabled", []):
        end = (health.get("last_segment") or {}).get(camera)
        if end is None or parse_time(end).timestamp() < look.started:
            problems.append(f"camera {camera} has not committed a segment since the restart")
    portal = health.get("portal")
    if portal not in SANE_PORTAL:
        problems.append(f"portal link is {portal!r}")
    if look.need_selftest:
        selftest = health.get("selftest") or {}
        state = selftest.get("state")
        if state == "failed":
            problems.append(f"self-test failed: {selftest.get('detail', '')}")
        elif state != "passed":
            problems.append(f"self-test {state or 'not run'}")
    return problems


def hopeless(problems: list[str]) -> bool:
    """A failed self-test will not pass by waiting longer."""
    return any(p.startswith("self-test failed") for p in problems)
