"""Uplink bytes/s of light live view while watched, against relaying the main stream, in the same run.

Two simulator cameras stand for one IP camera: the 1280x720/10 fps main stream (2 Mbit/s) and its 640x360/10 fps
sub-stream (500 kbit/s), 1 s GOP, like bench_motion. The box's relay (edge/light_relay.py) runs on each for the
same window and its PUTs are counted: the sub-stream is what a watched camera costs with light live view; the
main stream through the same relay (1 s TS segments) is the baseline a viewer of the main stream costs. Not
watched, nothing is relayed at all (tests/light/test_light_e2e.py). Also the relay ffmpeg's CPU.
DOZOR_BENCH_SECONDS sets the window (default 20).
"""

import json
import os
import time
from pathlib import Path

import psutil

from edge.config import EdgeConfig
from edge.light_relay import LightRelays
from tests.fixtures.ports import wait_until
from tests.light.test_light_relay import Box, Ingest

WINDOW = float(os.environ.get("DOZOR_BENCH_SECONDS", "20"))


def _cpu(process: psutil.Process) -> float:
    t = process.cpu_times()
    return t.user + t.system


def measure(tmp_path: Path, name: str, sub_url: str) -> dict[str, float]:
    camera = {"id": "c0", "url": "rtsp://127.0.0.1:9/unused", "sub_url": sub_url}
    config = EdgeConfig.model_validate({"device_id": "bench", "data_dir": tmp_path / name, "cameras": [camera]})
    ingest = Ingest()
    relays = LightRelays(Box(config), ingest)  # type: ignore[arg-type]
    try:
        relays.lease("c0", WINDOW + 60)
        wait_until(lambda: len(ingest.sent) >= 2, 60, message=f"{name}: relaying")
        ffmpeg = [p for p in psutil.Process().children() if p.name().startswith("ffmpeg")]
        sent0, began = sum(len(s.body) for s in ingest.sent), time.monotonic()
        ff0 = {p.pid: _cpu(p) for p in ffmpeg}
        time.sleep(WINDOW)  # the measuring window
        elapsed = time.monotonic() - began
        sent = sum(len(s.body) for s in ingest.sent) - sent0
        ff_cpu = sum((_cpu(p) - ff0[p.pid]) / elapsed * 100 for p in ffmpeg if p.is_running())
        return {
            "bytes_per_s": round(sent / elapsed),
            "kbit_per_s": round(sent * 8 / elapsed / 1000, 1),
            "segments_per_s": round(len(ingest.sent) / (elapsed + 2), 2),
            "relay_ffmpeg_cpu_pct": round(ff_cpu, 2),
        }
    finally:
        relays.stop()


def test_light_uplink_while_watched(tmp_path: Path, rtsp_camera) -> None:
    main = rtsp_camera(("hd",), width=1280, height=720, fps=10, bitrate=2000)
    sub = rtsp_camera(("sub",), width=640, height=360, fps=10, bitrate=500)
    baseline = measure(tmp_path, "main", main.url())
    light = measure(tmp_path, "light", sub.url())
    figures = {
        "bench": "light_live_uplink",
        "window_s": WINDOW,
        "baseline_main_stream_watched": baseline,
        "light_sub_stream_watched": light,
        "light_over_main": round(light["bytes_per_s"] / max(baseline["bytes_per_s"], 1), 3),
        "load": os.getloadavg(),
    }
    print(json.dumps(figures))
    assert light["bytes_per_s"] > 0 and baseline["bytes_per_s"] > 0
