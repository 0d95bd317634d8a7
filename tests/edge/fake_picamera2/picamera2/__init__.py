"""A stand-in for picamera2 off the Pi (there is no Pi camera here): the same calls the recorder makes,
with an "encoder" that streams a pre-made H.264 elementary stream (path in $FAKE_PICAMERA_H264) at its frame rate."""

import os
import threading
import time


class Picamera2:
    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = None
        self.config = None

    def create_video_configuration(self, main, controls, lores=None):
        return {"main": main, "controls": controls, "lores": lores}

    def capture_array(self, name="main"):
        """The next `lores` picture (YUV420, luma on top): a still gradient with a dark square that moves
        during seconds 2-5 of every 10 (so motion detection has something to find)."""
        import numpy as np

        assert name == "lores" and self.config["lores"]["format"] == "YUV420"
        width, height = self.config["lores"]["size"]
        time.sleep(1 / self.config["controls"]["FrameRate"])
        luma = np.tile(np.linspace(60, 200, width, dtype=np.uint8), (height, 1))
        phase = time.time() % 10
        if 2 <= phase < 5:
            x = int((phase - 2) / 3 * (width - height // 3))
            luma[height // 3 : 2 * height // 3, x : x + height // 3] = 10
        yuv = np.full((height * 3 // 2, width), 128, dtype=np.uint8)
        yuv[:height] = luma
        return yuv

    def configure(self, config) -> None:
        self.config = config

    def start_recording(self, encoder, output) -> None:
        data = open(os.environ["FAKE_PICAMERA_H264"], "rb").read()  # noqa: SIM115
        fps = self.config["controls"]["FrameRate"]
        frames = int(os.environ.get("FAKE_PICAMERA_FRAMES", "100"))
        chunk = max(1, len(data) // frames)

        def feed() -> None:
            while not self._stop.is_set():
                for offset in range(0, len(data), chunk):
                    if self._stop.is_set():
                        return
                    try:
                        output.write(data[offset : offset + chunk])
                    except (BrokenPipeError, ValueError, OSError):
                        return
                    time.sleep(1 / fps)

        self._thread = threading.Thread(target=feed, daemon=True)
        self._thread.start()

    def stop_recording(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(5)

    def close(self) -> None:
        pass
