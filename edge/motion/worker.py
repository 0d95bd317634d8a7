"""One thread per camera with motion on: decode its cheapest source, detect, record and announce events."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from edge.config import CameraConfig
from edge.motion.detector import WARMUP_FRAMES, MotionDetector, Transition, analysis_size
from edge.motion.events import MotionLog
from edge.motion.source import MotionSourceError, Source, choose_source, frames, gray, thumbnail_jpeg

log = logging.getLogger(__name__)
Emit = Callable[[str, dict[str, Any]], None]
RETRY_MIN, RETRY_MAX = 2.0, 30.0
STATE_LABELS = {  # for the technician UI; the portal has its own (portal/web/labels.py "motion")
    "starting": "запуск",
    "watching": "следит",
    "retrying": "переподключение",
    "failed": "не работает",
    "stopped": "остановлен",
}


class MotionRecorder:
    """Turns detector transitions into catalogue rows and `motion` box events (one open event at a time)."""

    def __init__(self, camera_id: str, motion_log: MotionLog, emit: Emit) -> None:
        self.camera_id = camera_id
        self.log = motion_log
        self.emit = emit
        self.open_id: str | None = None

    def apply(self, transition: Transition, frame: Any | None) -> None:
        if transition.kind == "start":
            thumb = None
            if frame is not None:
                try:
                    thumb = thumbnail_jpeg(frame)
                except Exception:  # a thumbnail is nice to have; the event is what matters
                    log.exception("%s: motion thumbnail failed", self.camera_id)
            self.open_id = self.log.start(self.camera_id, transition.at, transition.area, thumb)
            self.emit("motion", {"camera_id": self.camera_id, "motion_id": self.open_id, "phase": "start"})
        elif self.open_id is not None:
            self.log.end(self.open_id, transition.at, transition.area)
            self.emit("motion", {"camera_id": self.camera_id, "motion_id": self.open_id, "phase": "end"})
            self.open_id = None


def detect(
    source: Source,
    recorder: MotionRecorder,
    camera: CameraConfig,
    stop: threading.Event,
    on_frame: Callable[[int], None] | None = None,
    **kw: Any,
) -> int:
    """Run one source to its end (or `stop`); the number of frames analysed (``on_frame`` hears each count)."""
    detector = MotionDetector(camera.motion)
    size: tuple[int, int] | None = None
    count = 0
    try:
        for at, frame in frames(source, camera.motion.fps, stop, **kw):
            if size is None:
                size = analysis_size(frame.width, frame.height)
            count += 1
            if on_frame is not None:
                on_frame(count)
            for transition in detector.feed(at, gray(frame, *size)):
                recorder.apply(transition, frame)
    finally:
        for transition in detector.finish():
            recorder.apply(transition, None)
    return count


class MotionWorker:
    def __init__(self, camera: CameraConfig, motion_log: MotionLog, emit: Emit) -> None:
        self.camera = camera
        self.recorder = MotionRecorder(camera.id, motion_log, emit)
        self.error = ""
        self.source_label = ""
        self.frames = 0  # analysed from the current source
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"motion-{camera.id}", daemon=True)

    def start(self) -> MotionWorker:
        self._thread.start()
        return self

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def alive(self) -> bool:
        return self._thread.is_alive()

    @property
    def state(self) -> str:
        """What the detector does now, for status and telemetry: ``watching`` once past the warm-up frames of a
        source (events can start), ``starting`` before, ``retrying`` after a source failed, ``failed`` when it
        gave up (no usable source), ``stopped``."""
        if not self._thread.is_alive():
            return "failed" if self.error else "stopped"
        if self.frames > WARMUP_FRAMES:
            return "watching"
        return "retrying" if self.error else "starting"

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state, self.state)

    def _loop(self) -> None:
        delay = RETRY_MIN
        while not self._stop.is_set():
            try:
                source = choose_source(self.camera)
            except MotionSourceError as exc:
                self.error = str(exc)
                log.warning("%s", exc)
                return
            self.source_label = source.label
            try:
                analysed = detect(source, self.recorder, self.camera, self._stop, on_frame=self._seen)
                self.error = "" if analysed else "the stream gave no picture"
                if analysed:
                    delay = RETRY_MIN
            except Exception as exc:  # the camera went away, a bad stream: retry with backoff
                self.error = f"{type(exc).__name__}: {exc}"
                log.warning("%s: motion source %s failed: %s", self.camera.id, source.label, self.error)
            self.frames = 0  # the next source starts its warm-up afresh
            self._stop.wait(delay)
            delay = min(delay * 2, RETRY_MAX)

    def _seen(self, count: int) -> None:
        self.frames = count
