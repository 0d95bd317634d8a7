"""Crash points for the power-cut tests: `DOZOR_OTA_CRASH_AT=<point>` kills the whole process group there.

A real power cut stops every process at once; SIGKILL to the group (supervisor, box, ffmpeg) is the closest a
test gets. Unset (always, in production) it does nothing.
"""

from __future__ import annotations

import os
import signal

POINTS = ("download", "verify", "unpack", "switch", "restart", "gate")


def point(name: str) -> None:
    if os.environ.get("DOZOR_OTA_CRASH_AT") == name:
        os.killpg(os.getpgid(0), signal.SIGKILL)
