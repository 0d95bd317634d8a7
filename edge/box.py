"""The box: catalogue, state, one supervisor per enabled camera, eviction, and the API others build on."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from tinydb import Query

from edge.archive.catalogue import Catalogue
from edge.archive.eviction import Evictor
from edge.archive.reconcile import reconcile
from edge.archive.storage import storage_report
from edge.clock import Clock
from edge.config import CameraConfig, EdgeConfig
from edge.recorder.command import ffmpeg_binary
from edge.recorder.supervisor import CameraSupervisor
from edge.snapshot import snapshot_jpeg
from edge.state import open_state

log = logging.getLogger(__name__)
Listener = Callable[[str, dict[str, Any]], None]
JANITOR_SECONDS = 5.0


class Box:
    """Everything the box records. Thread-safe; `start()` once, `stop()` once."""

    def __init__(self, config: EdgeConfig, clock: Clock | None = None) -> None:
        self.config = config
        self.data_dir = config.data_dir
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.clock = clock or Clock()
        self.catalogue = Catalogue(self.data_dir / "catalogue.sqlite3", self.data_dir / "archive")
        self.state = open_state(self.data_dir / "state.json")
        self.ffmpeg = ffmpeg_binary(config.ffmpeg)
        self.evictor = Evictor(
            self.catalogue, self.data_dir, config.retention_days, config.byte_budget, config.disk_reserve
        )
        self._listeners: list[Listener] = []
        self._supervisors: dict[str, CameraSupervisor] = {}
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._janitor: threading.Thread | None = None
        self._disk_short = False
        self._inherited: dict[str, tuple[Any, str] | None] = {}
        self.reconcile_report = None

    # --- events ----------------------------------------------------------------------------------------

    def add_listener(self, callback: Listener) -> None:
        """callback(event_type, data): camera_up, camera_down, gap, segment, disk_full."""
        self._listeners.append(callback)

    def _emit(self, event_type: str, data: dict[str, Any]) -> None:
        for callback in list(self._listeners):
            try:
                callback(event_type, data)
            except Exception:  # noqa: BLE001 - a listener's bug must not stop recording
                log.exception("listener failed on %s", event_type)

    # --- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> None:
        self.reconcile_report = reconcile(
            self.catalogue, self.data_dir, self.clock.synced, max_duration=4 * 30 + 5
        )
        identity = {"key": "identity", "device_id": self.config.device_id}
        self.state.table("box").upsert(identity, Query().key == "identity")
        self._persist_cameras(self.config.cameras)
        self.evictor.run_once()
        for camera in self.config.cameras:
            if camera.enabled:
                self._start_camera(camera)
        self._janitor = threading.Thread(target=self._janitor_loop, name="janitor", daemon=True)
        self._janitor.start()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            supervisors = list(self._supervisors.values())
            self._supervisors.clear()
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
            camera, data_dir=self.data_dir, catalogue=self.catalogue, ffmpeg=self.ffmpeg, emit=self._emit,
            clock=self.clock, backoff_cap=self.config.restart_backoff_max, disk_ok=self._disk_ok,
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

    def _disk_ok(self) -> bool:
        return not self._disk_short

    def _janitor_loop(self) -> None:
        while not self._stop.wait(JANITOR_SECONDS):
            self.evict_now()

    def evict_now(self) -> None:
        """One eviction pass (the janitor runs it every few seconds)."""
        try:
            result = self.evictor.run_once()
        except Exception:  # noqa: BLE001 - keep the janitor alive; the next pass retries
            log.exception("eviction pass failed")
            return
        if result.emergency:
            total, free = self.evictor.usage(self.data_dir)
            log.warning("disk nearly full: %d bytes free of %d (reserve %d)", free, total, self.evictor.reserve)
            self._emit("disk_full", {"free_bytes": free, "reserve_bytes": self.evictor.reserve,
                                     "evicted": result.deleted, "recording_paused": result.still_short})
        self._disk_short = result.still_short

    # --- configuration ---------------------------------------------------------------------------------

    def reconfigure(self, cameras: list[CameraConfig]) -> None:
        """Add new cameras, remove dropped ones, restart changed ones; persist the list."""
        wanted = {c.id: c for c in cameras}
        with self._lock:
            current = {c.id: c for c in self.config.cameras}
            for camera_id in list(self._supervisors):
                old, new = current.get(camera_id), wanted.get(camera_id)
                if new is None or not new.enabled or old is None or old.persisted() != new.persisted():
                    supervisor = self._supervisors.pop(camera_id)
                    supervisor.stop()
                    self._inherited[camera_id] = supervisor.gaps.open
            self.config = self.config.model_copy(update={"cameras": list(cameras)})
            for camera in cameras:
                if camera.enabled and camera.id not in self._supervisors:
                    self._start_camera(camera, inherit=True)
        self._persist_cameras(cameras)

    def _persist_cameras(self, cameras: list[CameraConfig]) -> None:
        self.state.table("box").upsert(
            {"key": "cameras", "cameras": [c.persisted() for c in cameras]}, Query().key == "cameras"
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

    def status(self) -> dict[str, Any]:
        cameras: dict[str, Any] = {}
        with self._lock:
            supervisors = dict(self._supervisors)
        for camera in self.config.cameras:
            supervisor = supervisors.get(camera.id)
            if supervisor is None:
                cameras[camera.id] = {
                    "id": camera.id, "name": camera.name, "kind": camera.kind, "url": camera.masked_url(),
                    "state": "disabled", "last_error": None, "restarts": 0, "last_segment": None,
                    "current_run": None, "open_gap": None,
                }
            else:
                cameras[camera.id] = supervisor.status()
        return {"device_id": self.config.device_id, "cameras": cameras, "disk": self.storage_report()}

    def storage_report(self) -> dict[str, Any]:
        return storage_report(self.catalogue, self.evictor, self.data_dir)

    def snapshot(self, camera_id: str) -> bytes:
        return snapshot_jpeg(self.catalogue, camera_id)
