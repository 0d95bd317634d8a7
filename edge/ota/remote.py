"""`ota.install` from the portal, and `ota` events back: progress, the gate's verdict, refusals.

The command is answered at once (accepted); the work runs in one background thread: download (resumable,
capped), verify, install into a new slot, then the switch, after which the supervisor restarts the box into
the new release. Whichever release runs afterwards publishes the journal's last result once (`reported`).
Event data: {"version", "stage", "percent", "reason"}, stage one of downloading, installing, switching,
healthy, rolled_back, refused, failed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from cloud_sync.messages import Event, OtaInstallArgs
from edge.config import EdgeConfig
from edge.ota.install import InstallError, begin_trial, fetch, refuse, stage
from edge.ota.state import Slots

log = logging.getLogger(__name__)
Publish = Callable[[Event], None]


class RemoteUpdates:
    def __init__(self, config: EdgeConfig, publish: Publish) -> None:
        assert config.ota is not None
        self.config, self.ota, self.publish = config, config.ota, publish
        self.slots = Slots(config.ota.root)
        self._busy = threading.Lock()

    def event(self, version: str, stage_name: str, percent: int | None = None, reason: str = "") -> None:
        data: dict[str, Any] = {"version": version, "stage": stage_name, "reason": reason[:500]}
        if percent is not None:
            data["percent"] = percent
        self.publish(Event(type="ota", data=data))

    def handle(self, args: OtaInstallArgs) -> dict[str, Any]:
        state = self.slots.read()
        if args.version == state.good:
            return {"accepted": False, "version": args.version, "current": state.good, "reason": "already running"}
        if not self._busy.acquire(blocking=False) or state.trial is not None:
            raise InstallError("another update is in progress on this box")
        threading.Thread(target=self._run, args=(args,), name="ota-install", daemon=True).start()
        return {"accepted": True, "version": args.version, "current": state.good}

    def _run(self, args: OtaInstallArgs) -> None:
        try:
            self._install(args)
        finally:
            self._busy.release()

    def _install(self, args: OtaInstallArgs) -> None:
        portal = self.config.portal
        headers = {"Authorization": f"Bearer {portal.upload_token.get_secret_value()}"} if portal else {}
        last = [-1]

        def progress(done: int, total: int | None) -> None:
            percent = int(done * 100 / (total or args.size))
            if percent >= last[0] + 10 or percent == 100:  # every 10 %: an event per chunk would be noise
                last[0] = percent
                self.event(args.version, "downloading", min(percent, 100))

        try:
            self.event(args.version, "downloading", 0)
            bundle = fetch(self.ota, args.url, args.sha256, portal.bandwidth_kbps if portal else 0, progress, headers)
            self.event(args.version, "installing")
            manifest = stage(self.ota, bundle)
            if manifest.version != args.version:
                raise InstallError(f"bundle is release {manifest.version}, the command said {args.version}")
        except Exception as exc:  # InstallError says why; anything else is reported too, never swallowed
            log.error("OTA %s refused: %s", args.version, exc)
            reason = str(exc) if isinstance(exc, InstallError) else f"{type(exc).__name__}: {exc}"
            refuse(self.ota, args.version, reason)
            self.report_last()
            return
        self.event(args.version, "switching")
        begin_trial(self.ota, manifest.version)  # the supervisor stops us and starts the new release

    def watch(self, stop: threading.Event, interval: float = 2.0) -> None:
        """Report the verdict when the supervisor writes it while this release runs (a passed gate)."""

        def loop() -> None:
            while not stop.wait(interval):
                try:
                    self.report_last()
                except OSError as exc:
                    log.warning("cannot read the OTA journal: %s", exc)

        threading.Thread(target=loop, name="ota-report", daemon=True).start()

    def report_last(self) -> None:
        """Publish the journal's last result if no release has yet (at start-up and after a refusal)."""
        with self.slots.locked() as state:
            last = state.last
            if last is None or last.reported or last.reason == "first release":
                return
            last.reported = True
        self.event(last.version, last.result, reason=last.reason)
