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

    def create_video_configuration(self, main, controls):
        return {"main": main, "controls": controls}

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
