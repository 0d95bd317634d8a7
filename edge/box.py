"""The box: catalogue, state, one supervisor per enabled camera, eviction, and the API others build on."""

from __future__ import annotations

import hashlib
import json
import logging
import subprocess
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tinydb import Query

from cloud_sync.segments import format_time, parse_time
from edge.archive.catalogue import Catalogue
from edge.archive.eviction import Evictor
from edge.archive.layout import to_ms
from edge.archive.reconcile import ReconcileReport, reconcile
from edge.archive.storage import storage_report
from edge.clock import Clock
from edge.config import CameraConfig, EdgeConfig
from edge.motion.events import MotionLog
from edge.motion.worker import MotionWorker
from edge.motion.workers import MotionWorkers
from edge.recorder.command import ffmpeg_binary
from edge.recorder.gaps import GapTracker
from edge.recorder.supervisor import CameraSupervisor
from edge.snapshot import snapshot_jpeg
from edge.state import open_state
from edge.status import BoxStatus, CameraStatus, OpenGap

log = logging.getLogger(__name__)
Listener = Callable[[str, dict[str, Any]], None]
# (camera_id, reason) -> result for the portal; returns once the camera is powered again.
PowerCycler = Callable[[str, str], dict[str, Any]]
# (relay name, seconds, reason) -> result for the portal; returns once the relay is back at rest.
RelayPulser = Callable[[str, float, str], dict[str, Any]]
JANITOR_SECONDS = 5.0
HOME_MODE = "home_mode"


class NoRelay(LookupError):
    """The box has no relay for that camera or name (or no GPIO relays at all)."""


class Box:
    """Everything the box records. Thread-safe; `start()` once, `stop()` once."""

    def __init__(self, config: EdgeConfig, clock: Clock | None = None) -> None:
        self.config = config
        self.data_dir = config.data_dir
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.clock = clock or Clock()
        self.catalogue = Catalogue(self.data_dir / "catalogue.sqlite3", self.data_dir / "archive")
        self.state = open_state(self.data_dir / "state.json")
        self.motion_log = MotionLog(self.catalogue)
        self.ffmpeg = ffmpeg_binary(config.ffmpeg)
        self.evictor = Evictor(
            self.catalogue,
            self.data_dir,
            config.retention_days,
            config.byte_budget,
            config.disk_reserve,
            uploads=config.portal is not None,
        )
        self._listeners: list[Listener] = []
        self._supervisors: dict[str, CameraSupervisor] = {}
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._janitor: threading.Thread | None = None
        self._disk_short = False
        self._inherited: dict[str, tuple[Any, str] | None] = {}
        self._paused: dict[str, datetime] = {}  # camera id -> start of its home-mode gap; persisted in the state
        self._power_cycler: PowerCycler | None = None
        self._relay_pulser: RelayPulser | None = None
        self.reconcile_report: ReconcileReport | None = None
        self.motion = MotionWorkers(self.motion_log, self._emit)  # follow the supervisors (none while paused)

    # --- events ----------------------------------------------------------------------------------------

    def add_listener(self, callback: Listener) -> None:
        """callback(event_type, data): camera_up, camera_down, gap, segment, disk_full, motion."""
        self._listeners.append(callback)

    def _emit(self, event_type: str, data: dict[str, Any]) -> None:
        for callback in list(self._listeners):
            try:
                callback(event_type, data)
            except Exception:
                log.exception("listener failed on %s", event_type)

    # --- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> None:
        self.reconcile_report = reconcile(self.catalogue, self.data_dir, self.clock.synced, max_duration=4 * 30 + 5)
        identity = {"key": "identity", "device_id": self.config.device_id}
        self.state.table("box").upsert(identity, Query().key == "identity")
        self._adopt_runtime_cameras()
        self._paused = self._load_paused()
        retention = self.state.table("box").get(Query().key == "retention")
        if retention and retention.get("days"):
            self.evictor.retention_days = int(retention["days"])  # set by the portal (its tariffs); survives restarts
        self.evictor.run_once()
        self.motion_log.close_open()  # an event open when the box went down ends where it started
        for camera in self.config.cameras:
            if camera.id in self._paused:
                # Paused before the restart: the home-mode gap simply goes on (no video was wanted meanwhile).
                self._inherited[camera.id] = (self._paused[camera.id], HOME_MODE)
            elif camera.enabled:
                self._start_camera(camera)
        self._janitor = threading.Thread(target=self._janitor_loop, name="janitor", daemon=True)
        self._janitor.start()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            supervisors = list(self._supervisors.values())
            self._supervisors.clear()
        self.motion.stop_all()
        threads = [threading.Thread(target=s.stop) for s in supervisors]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if self._janitor is not None:
            self._janitor.join(10)
        self.catalogue.close()
        self.state.close()

    def _start_camera(self, camera: CameraConfig, inherit: bool = False) -> None:
        supervisor = CameraSupervisor(
            camera,
            data_dir=self.data_dir,
            catalogue=self.catalogue,
            ffmpeg=self.ffmpeg,
            emit=self._emit,
            clock=self.clock,
            backoff_cap=self.config.restart_backoff_max,
            disk_ok=self._disk_ok,
        )
        with self._lock:
            self._supervisors[camera.id] = supervisor
        if inherit and camera.id in self._inherited:
            # A restarted camera's outage continues under the new supervisor.
            supervisor.gaps.open = self._inherited.pop(camera.id)
            supervisor.start(after_box_start=False)
        elif inherit:  # a camera added (or re-enabled) while the box runs
            supervisor.start(after_box_start=True)
        else:
            supervisor.start()
        self.motion.start(camera)

    def motion_worker(self, camera_id: str) -> MotionWorker | None:
        return self.motion.get(camera_id)

    def _disk_ok(self) -> bool:
        return not self._disk_short

    def _janitor_loop(self) -> None:
        while not self._stop.wait(JANITOR_SECONDS):
            self.evict_now()

    def evict_now(self) -> None:
        """One eviction pass (the janitor runs it every few seconds)."""
        try:
            result = self.evictor.run_once()
        except Exception:
            log.exception("eviction pass failed")
            return
        if result.emergency:
            total, free = self.evictor.usage(self.data_dir)
            log.warning("disk nearly full: %d bytes free of %d (reserve %d)", free, total, self.evictor.reserve)
            self._emit(
                "disk_full",
                {
                    "free_bytes": free,
                    "reserve_bytes": self.evictor.reserve,
                    "evicted": result.deleted,
                    "recording_paused": result.still_short,
                },
            )
        self._disk_short = result.still_short
        try:
            self.motion_log.prune(datetime.now(UTC) - timedelta(days=self.evictor.retention_days))
        except Exception:
            log.exception("motion event pruning failed")

    # --- configuration ---------------------------------------------------------------------------------

    def reconfigure(self, cameras: list[CameraConfig]) -> None:
        """Add new cameras, remove dropped ones, restart changed ones; persist the list."""
        wanted = {c.id: c for c in cameras}
        with self._lock:
            current = {c.id: c for c in self.config.cameras}
            stopping: dict[str, CameraSupervisor] = {}
            for camera_id in list(self._supervisors):
                old, new = current.get(camera_id), wanted.get(camera_id)
                if new is None or not new.enabled or old is None or _recording(old) != _recording(new):
                    stopping[camera_id] = self._supervisors.pop(camera_id)
            # Motion settings alone restart only the detector, never the recorder (no new run, no gap).
            motion_changed = [
                cid
                for cid in self.motion.running()
                if cid in stopping or wanted.get(cid) is None or wanted[cid].motion != current[cid].motion
            ]
        self.motion.stop(motion_changed)
        # Stopped outside the lock: a stopping recorder emits events, and listeners (the GPIO LED) read status().
        for supervisor in stopping.values():
            supervisor.stop()
        with self._lock:
            for camera_id, supervisor in stopping.items():
                self._inherited[camera_id] = supervisor.gaps.open
            self.config = self.config.model_copy(update={"cameras": list(cameras)})
            dropped = set(self._paused) - set(wanted)
            for camera_id in dropped:
                del self._paused[camera_id]
            for camera in cameras:
                if camera.enabled and camera.id not in self._supervisors and camera.id not in self._paused:
                    self._start_camera(camera, inherit=True)
                elif camera.id in self._supervisors:
                    self.motion.start(camera)  # unchanged recorder, new motion settings (or none)
        self._persist_cameras(cameras)
        if dropped:
            self._persist_paused()

    # --- home mode: recording of one camera paused on request -------------------------------------------

    def recording_paused(self, camera_id: str) -> bool:
        with self._lock:
            return camera_id in self._paused

    def paused_cameras(self) -> list[str]:
        with self._lock:
            return sorted(self._paused)

    def set_recording(self, camera_id: str, recording: bool) -> bool:
        """Pause (supervisor stopped, a `home_mode` gap opens) or resume a camera; persisted. True if it changed."""
        with self._lock:
            camera = self.config.camera(camera_id)
            if camera is None:
                raise KeyError(f"camera_id: {camera_id!r} is not configured on this box")
            if recording != (camera_id in self._paused):
                return False
            if recording:
                since = self._paused.pop(camera_id)
                self._inherited[camera_id] = (since, HOME_MODE)  # the first segment closes the home-mode gap
                if camera.enabled:
                    self._start_camera(camera, inherit=True)
            else:
                supervisor = self._supervisors.pop(camera_id, None)
                inherited = self._inherited.pop(camera_id, None)
                self._paused[camera_id] = datetime.now(UTC)  # provisional: nothing restarts it meanwhile
        if not recording:
            self.motion.stop([camera_id])  # home mode: no recording, no motion events either
            since = self._pause(camera_id, supervisor, inherited)  # outside the lock, as in reconfigure()
            with self._lock:
                self._paused[camera_id] = since
        self._persist_paused()
        log.info(
            "%s: recording %s (home mode %s)",
            camera_id,
            "resumed" if recording else "paused",
            "off" if recording else "on",
        )
        return True

    def _pause(
        self, camera_id: str, supervisor: CameraSupervisor | None, inherited: tuple[Any, str] | None
    ) -> datetime:
        """Stop the camera's recorder and open its home-mode gap; the start of that gap."""
        now = datetime.now(UTC)
        tracker = GapTracker(camera_id, self.catalogue, self._emit)
        if supervisor is not None:
            supervisor.stop()
            tracker = supervisor.gaps
        else:
            tracker.open = inherited
        open_gap = tracker.open
        if open_gap is None:
            return now
        start, reason = open_gap
        if reason == "box_down" and supervisor is not None and self._ended_by_stop(supervisor, start):
            return start  # the run we just stopped: its tail belongs to the pause, not to an outage
        tracker.failed(now, HOME_MODE)  # an outage already open keeps its reason up to now
        return tracker.open[0] if tracker.open else now

    def _ended_by_stop(self, supervisor: CameraSupervisor, gap_start: datetime) -> bool:
        """The box_down gap began where the supervisor's own last run ended (not a real outage before it)."""
        run = self.catalogue.run(supervisor.camera.id, supervisor.run_id) if supervisor.run_id else None
        return run is not None and run.end is not None and to_ms(run.end) == to_ms(gap_start)

    def set_retention_days(self, days: int) -> None:
        """The archive depth the portal asks for (the largest its tariffs need of this box); persisted."""
        self.evictor.retention_days = days
        self.state.table("box").upsert({"key": "retention", "days": days}, Query().key == "retention")
        log.info("retention set to %s days by the portal", days)

    def _load_paused(self) -> dict[str, datetime]:
        doc = self.state.table("box").get(Query().key == "paused")
        known = {c.id for c in self.config.cameras}
        cameras = (doc.get("cameras") if isinstance(doc, dict) else None) or {}
        return {cid: parse_time(at) for cid, at in cameras.items() if cid in known}

    def _persist_paused(self) -> None:
        with self._lock:
            paused = {cid: format_time(at) for cid, at in self._paused.items()}
        self.state.table("box").upsert({"key": "paused", "cameras": paused}, Query().key == "paused")

    # --- relays and reboot (hooks registered by the on-site GPIO, used by edge.sync's commands) ---------

    def register_power_cycler(self, cycler: PowerCycler | None) -> None:
        """GPIO registers how to power-cycle a camera (None when it stops)."""
        self._power_cycler = cycler

    def register_relay_pulser(self, pulser: RelayPulser | None) -> None:
        self._relay_pulser = pulser

    def power_cycle(self, camera_id: str, reason: str) -> dict[str, Any]:
        if self._power_cycler is None:
            raise NoRelay(f"no relay configured for camera {camera_id!r} (this box has no gpio relays)")
        return self._power_cycler(camera_id, reason)

    def pulse_relay(self, name: str, seconds: float, reason: str) -> dict[str, Any]:
        if self._relay_pulser is None:
            raise NoRelay(f"no relay {name!r} configured (this box has no gpio relays)")
        return self._relay_pulser(name, seconds, reason)

    def reboot(self) -> None:
        """Run the configured reboot command (systemctl reboot); systemd then stops us cleanly."""
        command = self.config.reboot_command
        log.warning("reboot requested: running %s", " ".join(command))
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.error("reboot command failed: %s", exc)
            return
        if done.returncode != 0:
            log.error("reboot command exited %d: %s", done.returncode, done.stderr.strip()[-500:])

    def _adopt_runtime_cameras(self) -> None:
        """Cameras changed at run time (technician UI, portal `config.set`) survive a restart, unless the config
        file's own camera list changed since: then someone edited the file on purpose, and the file wins."""
        file_digest = _cameras_digest(self.config.cameras)
        rows = self.state.table("box").search(Query().key == "cameras")
        saved = rows[0] if rows else None
        if saved and saved.get("runtime") and saved.get("file_digest") == file_digest:
            cameras = [CameraConfig.model_validate(c) for c in saved["cameras"]]
            log.info("using the camera list changed at run time (%d camera(s)), not the config file's", len(cameras))
            self.config = self.config.model_copy(update={"cameras": cameras})
            return
        self._persist_cameras(self.config.cameras, runtime=False, file_digest=file_digest)

    def _persist_cameras(self, cameras: list[CameraConfig], runtime: bool = True, file_digest: str = "") -> None:
        table = self.state.table("box")
        if not file_digest:
            rows = table.search(Query().key == "cameras")
            file_digest = rows[0].get("file_digest", "") if rows else ""
        table.upsert(
            {
                "key": "cameras",
                "cameras": [c.persisted() for c in cameras],
                "runtime": runtime,
                "file_digest": file_digest,
            },
            Query().key == "cameras",
        )

    # --- reading ---------------------------------------------------------------------------------------

    def healthy(self) -> bool:
        """Every supervisor thread and the janitor are alive (feeds the systemd watchdog)."""
        with self._lock:
            supervisors = list(self._supervisors.values())
        janitor_ok = self._janitor is None or self._janitor.is_alive()
        return janitor_ok and all(s.alive() for s in supervisors)

    def supervisor(self, camera_id: str) -> CameraSupervisor | None:
        with self._lock:
            return self._supervisors.get(camera_id)

    def report(self) -> BoxStatus:
        """The typed status (edge/status.py) that telemetry, the technician UI and the GPIO LED read."""
        cameras: dict[str, CameraStatus] = {}
        with self._lock:
            supervisors = dict(self._supervisors)
        for camera in self.config.cameras:
            supervisor = supervisors.get(camera.id)
            paused = self._paused.get(camera.id)
            if supervisor is None:
                cameras[camera.id] = CameraStatus(
                    id=camera.id,
                    name=camera.name,
                    kind=camera.kind,
                    url=camera.masked_url(),
                    state="paused" if paused else "disabled",
                    open_gap=OpenGap(start=format_time(paused), reason=HOME_MODE) if paused else None,
                )
            else:
                cameras[camera.id] = supervisor.status()
            worker = self.motion_worker(camera.id)
            if worker is not None:
                cameras[camera.id].motion = worker.state
        return BoxStatus(device_id=self.config.device_id, cameras=cameras, disk=self.storage_report())

    def status(self) -> dict[str, Any]:
        """The JSON form of report()."""
        return self.report().model_dump()

    def storage_report(self) -> dict[str, Any]:
        return storage_report(self.catalogue, self.evictor, self.data_dir)

    def snapshot(self, camera_id: str) -> bytes:
        return snapshot_jpeg(self.catalogue, camera_id)


def _recording(camera: CameraConfig) -> dict[str, Any]:
    """The camera's settings that its recorder depends on (all but motion)."""
    data = camera.persisted()
    data.pop("motion", None)
    return data


def _cameras_digest(cameras: list[CameraConfig]) -> str:
    """A fingerprint of a camera list (secrets included, so it never leaves the box's state file)."""
    encoded = json.dumps([c.persisted() for c in cameras], sort_keys=True, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()
