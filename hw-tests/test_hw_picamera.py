"""The Pi camera on the ribbon connector captures a frame (picamera2 + libcamera)."""

from __future__ import annotations

import pytest


def test_pi_camera_captures_a_frame(hw) -> None:
    if not hw.on_pi:
        pytest.skip("not a Raspberry Pi: no camera connector (picamera2 runs only on Raspberry Pi OS)")
    if not any(c.kind == "picamera" for c in hw.config.cameras):
        pytest.skip("no picamera camera in the box config")
    picamera2 = pytest.importorskip("picamera2", reason="picamera2 is not installed: pip install 'dozor[pi]'")
    camera = picamera2.Picamera2()
    try:
        camera.configure(camera.create_still_configuration(main={"size": (640, 480)}))
        camera.start()
        frame = camera.capture_array()
    finally:
        camera.close()
    assert frame.shape[0] == 480 and frame.shape[1] == 640, f"unexpected frame shape {frame.shape}"
    assert frame.std() > 1.0, "the frame is flat: lens covered, or the sensor returns no picture"
