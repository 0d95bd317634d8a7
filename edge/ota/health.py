"""What the running box says about itself for the supervisor's health gate: `{ota.root}/health.json`.

Written every couple of seconds by `dozor edge run` (whatever release it is), read by the supervisor (maybe
another release): plain JSON, fields only ever added. During a trial (`DOZOR_OTA_TRIAL=1`) the box also runs
its own self-test once and reports the outcome here.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from edge.box import Box
    from edge.techui.service import SyncLink

log = logging.getLogger(__name__)
INTERVAL = 2.0


def running_release() -> str:
    """The release this process runs (the supervisor passes it), else the package's own version."""
    from importlib.metadata import PackageNotFoundError, version

    release = os.environ.get("DOZOR_RELEASE")
    if release:
        return release
    try:
        return version("dozor")
    except PackageNotFoundError:
        return "unknown"


def portal_state(sync: SyncLink | None) -> str:
    """up | retrying (the link keeps trying: recording and uploads go on) | none (no portal configured)."""
    link = getattr(sync, "link", None)
    if link is None:
        return "none"
    return "up" if link.connected.is_set() else "retrying"


class HealthWriter:
    def __init__(self, box: Box, path: Path, config_path: Path, sync: Any = None) -> None:
        self.box, self.path, self.config_path, self.sync = box, path, config_path, sync
        self.ready = False
        self.selftest: dict[str, str] = {"state": "skipped", "detail": ""}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="health", daemon=True)

    def start(self, selftest: bool) -> HealthWriter:
        if selftest and os.environ.get("DOZOR_OTA_TRIAL") == "1":
            self.selftest = {"state": "running", "detail": ""}
            threading.Thread(target=self._selftest, name="ota-selftest", daemon=True).start()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _selftest(self) -> None:
        from edge.selftest import SelftestError, run_selftest

        try:
            report = run_selftest(self.config_path, timeout=300)
        except SelftestError as exc:
            self.selftest = {"state": "failed", "detail": str(exc)}
            return
        failed = [c.name for c in report.checks if c.outcome in ("failed", "error")]
        detail = ", ".join(failed[:3]) or f"exit {report.exit_code}"
        self.selftest = {"state": "passed", "detail": ""} if report.ok else {"state": "failed", "detail": detail}

    def snapshot(self) -> dict[str, Any]:
        status = self.box.report()
        enabled = [c.id for c in self.box.config.cameras if c.enabled and not self.box.recording_paused(c.id)]
        return {
            "pid": os.getpid(),
            "at": time.time(),
            "release": running_release(),
            "ready": self.ready,
            "enabled": enabled,
            "last_segment": {cid: cam.last_segment for cid, cam in status.cameras.items()},
            "portal": portal_state(self.sync),
            "selftest": self.selftest,
        }

    def write(self) -> None:
        tmp = self.path.with_name(self.path.name + f".{os.getpid()}")
        try:
            tmp.write_text(json.dumps(self.snapshot()))
            os.replace(tmp, self.path)
        except OSError as exc:
            log.warning("cannot write %s: %s", self.path, exc)

    def _loop(self) -> None:
        while True:
            self.write()
            if self._stop.wait(INTERVAL):
                return
