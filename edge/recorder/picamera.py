"""The Pi camera: picamera2 drives the SoC's hardware H.264 encoder; we pipe its stream into ffmpeg.

picamera2 comes with the `[pi]` extra and only imports on a Raspberry Pi; off-Pi the tests put a fake
`picamera2` module on sys.path (there is no real Pi camera here).
"""

from __future__ import annotations

import logging
import threading
from typing import IO, Any

from edge.config import CameraConfig

log = logging.getLogger(__name__)
LORES_WIDTH = 320  # the ISP scales a second, low-resolution YUV420 stream for motion detection (edge/motion)
_running: dict[str, PicameraFeed] = {}  # Pi cameras recording now, by camera id: motion reads their lores
_running_lock = threading.Lock()


def running_feed(camera_id: str) -> PicameraFeed | None:
    with _running_lock:
        return _running.get(camera_id)


def lores_size(width: int, height: int) -> tuple[int, int]:
    w = min(LORES_WIDTH, width)
    return w, max(2, round(w * height / max(width, 1) / 2) * 2)


class SourceError(RuntimeError):
    """A source cannot start; the message says what is missing."""


class PicameraFeed:
    """Starts the Pi camera's encoder writing raw H.264 into ffmpeg's stdin, and stops it."""

    def __init__(self, camera: CameraConfig) -> None:
        self.camera = camera
        self._picam: Any = None
        self.lores = lores_size(camera.width, camera.height)

    def start(self, sink: IO[bytes]) -> None:
        try:
            from picamera2 import Picamera2
            from picamera2.encoders import H264Encoder
            from picamera2.outputs import FileOutput
        except ImportError as exc:
            raise SourceError("picamera2 is not installed: on a Raspberry Pi install `dozor[pi]`") from exc
        picam = Picamera2()
        self.lores = lores_size(self.camera.width, self.camera.height)
        config = picam.create_video_configuration(
            main={"size": (self.camera.width, self.camera.height)},
            lores={"size": self.lores, "format": "YUV420"},
            controls={"FrameRate": float(self.camera.fps)},
        )
        picam.configure(config)
        # repeat=True: SPS/PPS before every keyframe; iperiod = fps: a keyframe a second, so segments cut on time.
        encoder = H264Encoder(repeat=True, iperiod=self.camera.fps)
        picam.start_recording(encoder, FileOutput(sink))
        self._picam = picam
        with _running_lock:
            _running[self.camera.id] = self

    def lores_gray(self) -> Any:
        """The next low-resolution picture's luma plane (numpy uint8, height x width); None when stopped."""
        picam = self._picam
        if picam is None:
            return None
        width, height = self.lores
        return picam.capture_array("lores")[:height, :width]

    def stop(self) -> None:
        with _running_lock:
            if _running.get(self.camera.id) is self:
                del _running[self.camera.id]
        picam, self._picam = self._picam, None
        if picam is None:
            return
        try:
            picam.stop_recording()
        except Exception as exc:
            log.warning("%s: stopping the Pi camera: %s", self.camera.id, exc)
        finally:
            picam.close()
