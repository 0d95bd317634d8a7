"""CPU and RSS of the recorder: the Python side and ffmpeg, per camera, for 1, 4 and 8 cameras at 720p.

Every camera reads the same simulator path (a shared 720p H.264 stream, as many clients of one camera):
the box's cost per camera is the same, and the simulator encodes once. Baseline, measured in the same run:
the same process with a started Box and no cameras. Targets: Python side < 1% of one core for 8 cameras,
< 80 MB RSS. DOZOR_BENCH_SECONDS sets the measuring window (default 30).
"""

import json
import os
import time
from pathlib import Path

import psutil

from edge.box import Box
from edge.config import EdgeConfig
from tests.fixtures.ports import wait_until

WINDOW = float(os.environ.get("DOZOR_BENCH_SECONDS", "30"))


def measure(box: Box, cameras: int) -> dict[str, float]:
    me = psutil.Process()
    if cameras:
        wait_until(
            lambda: all(box.catalogue.latest_segment(f"c{i}") for i in range(cameras)),
            120,
            message="all cameras recording",
        )
    children = [p for p in me.children() if p.name().startswith("ffmpeg")]
    began = time.monotonic()
    cpu0 = me.cpu_times()
    child0 = {p.pid: p.cpu_times() for p in children}
    time.sleep(WINDOW)
    elapsed = time.monotonic() - began
    cpu1 = me.cpu_times()
    python_cpu = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / elapsed * 100
    ffmpeg_cpu = ffmpeg_rss = 0.0
    for p in children:
        try:
            t = p.cpu_times()
            ffmpeg_cpu += (t.user + t.system - child0[p.pid].user - child0[p.pid].system) / elapsed * 100
            ffmpeg_rss += p.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return {
        "cameras": cameras,
        "python_cpu_pct_of_core": round(python_cpu, 2),
        "python_rss_mb": round(me.memory_info().rss / 1e6, 1),
        "ffmpeg_processes": len(children),
        "ffmpeg_cpu_pct_per_camera": round(ffmpeg_cpu / max(1, len(children)), 2),
        "ffmpeg_rss_mb_per_camera": round(ffmpeg_rss / max(1, len(children)) / 1e6, 1),
    }


def run_box(tmp_path: Path, url: str, cameras: int) -> dict[str, float]:
    config = EdgeConfig.model_validate(
        {
            "device_id": "bench",
            "data_dir": tmp_path / f"data{cameras}",
            "cameras": [{"id": f"c{i}", "url": url, "segment_seconds": 6} for i in range(cameras)],
        }
    )
    box = Box(config)
    box.start()
    try:
        return measure(box, cameras)
    finally:
        box.stop()


def test_recorder_cpu_and_memory(tmp_path: Path, rtsp_camera) -> None:
    sim = rtsp_camera(("hd",), width=1280, height=720, fps=10, bitrate=2000)
    url = sim.url("hd")
    baseline = run_box(tmp_path, url, 0)
    results = [run_box(tmp_path, url, n) for n in (1, 4, 8)]
    for result in results:
        result["python_cpu_pct_over_baseline"] = round(
            result["python_cpu_pct_of_core"] - baseline["python_cpu_pct_of_core"], 2
        )
    eight = results[-1]
    print(
        json.dumps(
            {
                "bench": "edge_recorder",
                "resolution": "1280x720@10fps, copy (no transcode)",
                "window_s": WINDOW,
                "baseline_no_cameras": baseline,
                "results": results,
                "targets": {"python_cpu_pct_8_cameras": 1.0, "python_rss_mb": 80},
                "meets_targets": eight["python_cpu_pct_of_core"] < 1.0 and eight["python_rss_mb"] < 80,
            },
            indent=1,
        )
    )


def test_standalone_edge_run_rss(tmp_path: Path, rtsp_camera) -> None:
    """`dozor edge run` as its own process (no pytest, no portal imports in it) recording 8 cameras: its RSS and CPU."""
    import subprocess
    import sys

    import yaml

    sim = rtsp_camera(("hd",), width=1280, height=720, fps=10, bitrate=2000)
    config = tmp_path / "box.yaml"
    data = tmp_path / "standalone"
    config.write_text(
        yaml.safe_dump(
            {
                "device_id": "bench",
                "data_dir": str(data),
                "cameras": [{"id": f"c{i}", "url": sim.url("hd"), "segment_seconds": 6} for i in range(8)],
            }
        )
    )
    dozor = Path(sys.executable).parent / "dozor"
    log = (tmp_path / "edge.log").open("wb")
    proc = subprocess.Popen([str(dozor), "edge", "run", "--config", str(config)], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until(
            lambda: all(any((data / "archive" / f"c{i}").rglob("*.m4s")) for i in range(8)),
            120,
            message="all 8 cameras recording in the standalone box",
        )
        me = psutil.Process(proc.pid)
        cpu0, began = me.cpu_times(), time.monotonic()
        time.sleep(WINDOW)
        cpu1, elapsed = me.cpu_times(), time.monotonic() - began
        profile = os.environ.get("DOZOR_BENCH_PYSPY")  # collapsed stacks of the box's Python, after the window
        if profile:
            subprocess.run(
                [
                    "py-spy",
                    "record",
                    "-p",
                    str(proc.pid),
                    "-d",
                    str(int(WINDOW)),
                    "-r",
                    "200",
                    "-f",
                    "raw",
                    "-o",
                    profile,
                    "--nonblocking",
                ],
                check=True,
                capture_output=True,
            )
        memory = me.memory_full_info()
        ffmpeg = [p for p in me.children() if p.name().startswith("ffmpeg")]
        print(
            json.dumps(
                {
                    "bench": "edge_run_standalone",
                    "cameras": 8,
                    "window_s": WINDOW,
                    "python_cpu_pct_of_core": round(
                        (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / elapsed * 100, 2
                    ),
                    "rss_mb": round(memory.rss / 1e6, 1),
                    "uss_mb": round(memory.uss / 1e6, 1),
                    "threads": me.num_threads(),
                    "ffmpeg_processes": len(ffmpeg),
                    "target_rss_mb": 80,
                }
            )
        )
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()
