"""The box's running motion detectors, one per camera with motion on (edge/box.py keeps one of these).

A camera's detector follows its recorder: it starts with the camera's supervisor and stops with it (home mode,
removal, a changed recording setup); a change of the motion settings alone restarts only the detector.
Thread-safe. A worker is stopped outside the lock: ending its open event emits, and listeners read status.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from edge.config import CameraConfig
from edge.motion.events import MotionLog
from edge.motion.worker import Emit, MotionWorker


class MotionWorkers:
    def __init__(self, motion_log: MotionLog, emit: Emit) -> None:
        self._log = motion_log
        self._emit = emit
        self._workers: dict[str, MotionWorker] = {}
        self._lock = threading.Lock()

    def start(self, camera: CameraConfig) -> None:
        """Start the camera's detector when its motion is on and none runs yet."""
        if not camera.motion.enabled:
            return
        with self._lock:
            if camera.id not in self._workers:
                self._workers[camera.id] = MotionWorker(camera, self._log, self._emit).start()

    def stop(self, camera_ids: Iterable[str]) -> None:
        with self._lock:
            workers = [w for cid in camera_ids if (w := self._workers.pop(cid, None)) is not None]
        for worker in workers:
            worker.stop()

    def stop_all(self) -> None:
        self.stop(self.running())

    def get(self, camera_id: str) -> MotionWorker | None:
        with self._lock:
            return self._workers.get(camera_id)

    def running(self) -> list[str]:
        with self._lock:
            return list(self._workers)
