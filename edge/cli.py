"""`dozor edge run` and `dozor edge ranges`: the box's own commands (registered in dozor/cli.py)."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cloud_sync.segments import format_time, parse_time
from dozor.errors import UserError
from edge.config import ConfigError, EdgeConfig, load_config

if TYPE_CHECKING:
    from edge.box import Box
    from edge.techui.serve import OnSite
    from edge.techui.service import SyncLink

log = logging.getLogger("edge")


def _load(path: Path) -> EdgeConfig:
    try:
        return load_config(path)
    except ConfigError as exc:
        raise UserError(str(exc)) from None


def _check_ffmpeg(config: EdgeConfig, config_path: Path) -> None:
    """Every camera records through ffmpeg: without it the box would only log failures forever."""
    import os
    import shutil

    from edge.recorder.command import ffmpeg_binary

    try:
        binary = ffmpeg_binary(config.ffmpeg)
    except RuntimeError as exc:
        raise UserError(f"{exc} ({config_path})") from None
    resolved = binary if os.path.isabs(binary) else shutil.which(binary)
    if not resolved or not os.access(resolved, os.X_OK):
        raise UserError(
            f"ffmpeg is missing: {binary} cannot be run; install Debian's ffmpeg package or fix `ffmpeg:` "
            f"in {config_path}"
        )


def _enrolled(config: EdgeConfig) -> EdgeConfig:
    """A box enrolled through the technician UI keeps its portal link in its state, not in the config file."""
    if config.portal is not None:
        return config
    from edge.techui.enrolment import EnrolmentState

    state = EnrolmentState(config.data_dir / "enrolment.json")
    try:
        link = state.link()
    finally:
        state.close()
    return config if link is None else config.model_copy(update={"portal": link})


def _start_onsite(box: Box, sync: SyncLink | None, config_path: Path) -> OnSite | None:
    """Technician UI, GPIO and zeroconf run when the config has a `technician:` or `gpio:` section."""
    if box.config.technician is None and box.config.gpio is None:
        return None
    from edge.techui.serve import start_onsite

    try:
        return start_onsite(box, sync=sync, config_path=config_path)
    except RuntimeError as exc:
        raise UserError(f"{exc}; change technician.port in {config_path}") from None


def run(config_path: Path) -> None:
    """Record until SIGINT/SIGTERM; systemd Type=notify + WatchdogSec aware."""
    from edge.archive.reconcile import ReconcileRefused
    from edge.box import Box
    from edge.sync import start_sync
    from edge.systemd import notify, watchdog_interval

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per uploaded segment is noise
    config = _enrolled(_load(config_path))
    _check_ffmpeg(config, config_path)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    box = Box(config)
    try:
        box.start()
    except ReconcileRefused as exc:
        box.stop()
        raise UserError(str(exc)) from None
    sync: SyncLink | None = start_sync(box) if config.portal is not None else None
    onsite = None
    health = None
    try:
        onsite = _start_onsite(box, sync, config_path)
        if config.ota is not None:  # the supervisor's health gate reads this (edge/ota/health.py)
            from edge.ota.health import HealthWriter

            health = HealthWriter(box, config.ota.root / "health.json", config_path, sync)
            health.start(selftest=config.ota.selftest)
        log.info("recording %d camera(s) into %s", sum(c.enabled for c in config.cameras), config.data_dir)
        notify("READY=1")
        if health is not None:
            health.ready = True
        interval = watchdog_interval()
        while not stop.wait(interval or 5.0):
            if interval and box.healthy():
                notify("WATCHDOG=1")  # withheld when a supervisor thread died: systemd restarts us
            if health is not None and onsite is not None:
                health.sync = onsite.ui.sync
    finally:
        notify("STOPPING=1")
        if health is not None:
            health.stop()
        if onsite is not None:
            onsite.stop()
            sync = onsite.ui.sync  # enrolment in the UI may have started the link
        if sync is not None:
            sync.stop()
        box.stop()
        log.info("stopped")


def ranges_report(config: EdgeConfig, camera_id: str | None, start: datetime, end: datetime) -> dict[str, Any]:
    from edge.archive.catalogue import Catalogue

    ids = [camera_id] if camera_id else [c.id for c in config.cameras]
    catalogue = Catalogue(config.data_dir / "catalogue.sqlite3", config.data_dir / "archive")
    try:
        cameras: dict[str, Any] = {}
        for cid in ids:
            cameras[cid] = {
                "ranges": [
                    {"start": format_time(a), "end": format_time(b)} for a, b in catalogue.ranges(cid, start, end)
                ],
                "gaps": [
                    {"start": format_time(g.start), "end": format_time(g.end), "reason": g.reason}
                    for g in catalogue.gaps(cid, start, end)
                ],
            }
    finally:
        catalogue.close()
    return {"cameras": cameras}


def ranges(config_path: Path, camera_id: str | None, since: str | None, until: str | None, as_json: bool) -> None:
    config = _load(config_path)
    if camera_id is not None and config.camera(camera_id) is None:
        raise UserError(
            f"camera {camera_id!r} is not in {config_path}; use one of: "
            f"{', '.join(c.id for c in config.cameras) or '(none)'}"
        )
    now = datetime.now(UTC)
    try:
        start = parse_time(since) if since else now - timedelta(days=config.retention_days)
        end = parse_time(until) if until else now + timedelta(minutes=1)
    except ValueError as exc:
        raise UserError(f"--since/--until: {exc}") from None
    report = ranges_report(config, camera_id, start, end)
    if as_json:
        json.dump(report, sys.stdout)
        sys.stdout.write("\n")
        return
    for cid, data in report["cameras"].items():
        print(f"{cid}:")
        for item in data["ranges"]:
            print(f"  video {item['start']} .. {item['end']}")
        for gap in data["gaps"]:
            print(f"  gap   {gap['start']} .. {gap['end']}  {gap['reason']}")
