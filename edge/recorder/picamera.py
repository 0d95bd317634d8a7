"""The Pi camera: picamera2 drives the SoC's hardware H.264 encoder; we pipe its stream into ffmpeg.

picamera2 comes with the `[pi]` extra and only imports on a Raspberry Pi; off-Pi the tests put a fake
`picamera2` module on sys.path (there is no real Pi camera here).
"""

from __future__ import annotations

import logging
from typing import IO, Any

from edge.config import CameraConfig

log = logging.getLogger(__name__)


class SourceError(RuntimeError):
    """A source cannot start; the message says what is missing."""


class PicameraFeed:
    """Starts the Pi camera's encoder writing raw H.264 into ffmpeg's stdin, and stops it."""

    def __init__(self, camera: CameraConfig) -> None:
        self.camera = camera
        self._picam: Any = None

    def start(self, sink: IO[bytes]) -> None:
        try:
            from picamera2 import Picamera2
            from picamera2.encoders import H264Encoder
            from picamera2.outputs import FileOutput
        except ImportError as exc:
            raise SourceError("picamera2 is not installed: on a Raspberry Pi install `dozor[pi]`") from exc
        picam = Picamera2()
        config = picam.create_video_configuration(
            main={"size": (self.camera.width, self.camera.height)},
            controls={"FrameRate": float(self.camera.fps)},
        )
        picam.configure(config)
        # repeat=True: SPS/PPS before every keyframe; iperiod = fps: a keyframe a second, so segments cut on time.
        encoder = H264Encoder(repeat=True, iperiod=self.camera.fps)
        picam.start_recording(encoder, FileOutput(sink))
        self._picam = picam

    def stop(self) -> None:
        picam, self._picam = self._picam, None
        if picam is None:
            return
        try:
            picam.stop_recording()
        except Exception as exc:
            log.warning("%s: stopping the Pi camera: %s", self.camera.id, exc)
        finally:
            picam.close()
