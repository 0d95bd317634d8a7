"""Edge fixtures: a running Box with an event log, small synthetic media, and polling helpers."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from edge.box import Box
from edge.config import EdgeConfig
from edge.recorder.command import ffmpeg_binary


class Events:
    """Thread-safe log of Box events."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.items: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, kind: str, data: dict[str, Any]) -> None:
        with self._lock:
            self.items.append((kind, data))

    def of(self, kind: str) -> list[dict[str, Any]]:
        with self._lock:
            return [d for k, d in self.items if k == kind]


@pytest.fixture
def make_box(tmp_path: Path) -> Iterator[Callable[..., tuple[Box, Events]]]:
    """make_box(cameras=[{...}], **config) -> (started Box, Events); stopped at teardown."""
    boxes: list[Box] = []

    def make(cameras: list[dict[str, Any]], data_dir: Path | None = None, **options: Any) -> tuple[Box, Events]:
        config = EdgeConfig.model_validate(
            {"device_id": "box1", "data_dir": data_dir or tmp_path / "data", "cameras": cameras, **options}
        )
        box = Box(config)
        events = Events()
        box.add_listener(events)
        box.start()
        boxes.append(box)
        return box, events

    yield make
    for box in boxes:
        if not box._stop.is_set():
            box.stop()


@pytest.fixture(scope="session")
def hls_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with init.mp4 and 000000..000003.m4s (1 s segments, 320x240, 10 fps) made by ffmpeg."""
    directory = tmp_path_factory.mktemp("hls")
    subprocess.run(
        [
            ffmpeg_binary(None),
            "-hide_banner",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=10",
            "-t",
            "4",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-g",
            "10",
            "-pix_fmt",
            "yuv420p",
            "-f",
            "hls",
            "-hls_segment_type",
            "fmp4",
            "-hls_time",
            "1",
            "-hls_list_size",
            "0",
            "-hls_fmp4_init_filename",
            "init.mp4",
            "-hls_segment_filename",
            "%06d.m4s",
            "index.m3u8",
        ],
        cwd=directory,
        check=True,
        timeout=120,
    )
    return directory
