"""CPU per camera of motion detection at 5 fps, against the copy-recording ffmpeg alone, in the same run.

One box, one camera, recording by copy from a 720p/10 fps simulator (the scripted square moving, so events
happen). Baseline: the recorder alone (its ffmpeg and the box process). Then the same with motion on, from
(a) a 640x360 sub-stream, (b) the 720p main stream decoding every frame, (c) the main stream's keyframes only
(1 s GOP). Motion's cost is the box process's CPU over the baseline's (decoding and detection run in its
threads). DOZOR_BENCH_SECONDS sets each measuring window (default 20). docs/motion.md has the Pi estimate.
"""

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil

from edge.box import Box
from edge.config import EdgeConfig
from tests.fixtures.ports import wait_until

WINDOW = float(os.environ.get("DOZOR_BENCH_SECONDS", "20"))
FPS = 5


def _cpu(process: psutil.Process) -> float:
    t = process.cpu_times()
    return t.user + t.system


def measure(tmp_path: Path, name: str, camera: dict) -> dict[str, float]:
    config = EdgeConfig.model_validate({"device_id": "bench", "data_dir": tmp_path / name, "cameras": [camera]})
    box = Box(config)
    started = datetime.now(UTC)
    box.start()
    try:
        wait_until(lambda: box.catalogue.latest_segment("c0"), 120, message="recording")
        time.sleep(3)  # the detector's connection and warm-up
        me = psutil.Process()
        ffmpeg = [p for p in me.children() if p.name().startswith("ffmpeg")]
        began, box0 = time.monotonic(), _cpu(me)
        ff0 = {p.pid: _cpu(p) for p in ffmpeg}
        time.sleep(WINDOW)
        elapsed = time.monotonic() - began
        box_cpu = (_cpu(me) - box0) / elapsed * 100
        ff_cpu = sum((_cpu(p) - ff0[p.pid]) / elapsed * 100 for p in ffmpeg if p.is_running())
        worker = box.motion_worker("c0")
        events = len(box.motion_log.events("c0", started, datetime.now(UTC)))
        return {
            "box_process_cpu_pct": round(box_cpu, 2),
            "recorder_ffmpeg_cpu_pct": round(ff_cpu, 2),
            "motion_source": worker.source_label if worker else "",
            "motion_error": worker.error if worker else "",
            "events": events,
        }
    finally:
        box.stop()


def test_motion_cpu_per_camera(tmp_path: Path, rtsp_camera) -> None:
    main = rtsp_camera(("hd",), width=1280, height=720, fps=10, bitrate=2000, motion=True)
    sub = rtsp_camera(("sub",), width=640, height=360, fps=10, bitrate=500, motion=True)
    main.toggle_motion()
    sub.toggle_motion()
    camera = {"id": "c0", "url": main.url("hd"), "segment_seconds": 6}
    motion = {"enabled": True, "fps": FPS}
    baseline = measure(tmp_path, "baseline", camera)
    runs = {
        "sub_640x360": measure(tmp_path, "sub", {**camera, "sub_url": sub.url("sub"), "motion": motion}),
        "main_1280x720_every_frame": measure(tmp_path, "main", {**camera, "motion": motion}),
        "main_1280x720_keyframes": measure(
            tmp_path, "key", {**camera, "motion": {**motion, "main_decode": "keyframes"}}
        ),
    }
    for run in runs.values():
        run["motion_cpu_pct_of_core"] = round(run["box_process_cpu_pct"] - baseline["box_process_cpu_pct"], 2)
        run["motion_vs_recorder_ffmpeg"] = round(
            run["motion_cpu_pct_of_core"] / max(baseline["recorder_ffmpeg_cpu_pct"], 0.01), 2
        )
    print(
        json.dumps(
            {
                "figure": "CPU per camera for motion detection at 5 fps vs the copy-recording ffmpeg alone",
                "unit": "% of one core of this machine",
                "window_s": WINDOW,
                "baseline_recorder_only": baseline,
                "motion": runs,
            },
            indent=2,
        )
    )
    for name, run in runs.items():
        assert not run["motion_error"], (name, run)
        assert run["motion_source"], name
