"""A real portal over HTTP (uvicorn in a thread) with two cameras' recorded video ingested through the ingest
endpoint: red at the entrance, blue in the garage, SEGMENTS fMP4 segments of 2 s each. Shared by the playback
and compatibility tests (each module builds its own, module-scoped)."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from cloud_sync.segments import format_time, new_run_id
from portal.app import create_app
from tests.fixtures.ports import free_port
from tests.fixtures.served import served
from tests.forpost.conftest import DEVICE_TOKEN, World, make_settings, seed

SEGMENTS = 4  # 2 s each, keyframe every second


def make_videos(root: Path) -> dict[str, Path]:
    out = {}
    for camera, colour in (("entrance-1", "red"), ("garage-1001", "blue")):
        folder = root / camera
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "ffmpeg",
                "-loglevel",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                f"color=c={colour}:s=160x120:r=5:d=8",
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-g",
                "5",
                "-keyint_min",
                "5",
                "-sc_threshold",
                "0",
                "-pix_fmt",
                "yuv420p",
                "-f",
                "hls",
                "-hls_time",
                "2",
                "-hls_segment_type",
                "fmp4",
                "-hls_fmp4_init_filename",
                "init.mp4",
                "-hls_segment_filename",
                str(folder / "seg%d.m4s"),
                "-hls_playlist_type",
                "vod",
                str(folder / "index.m3u8"),
            ],
            check=True,
            timeout=120,
        )
        out[camera] = folder
    return out


@contextmanager
def video_portal(root: Path, videos: dict[str, Path], **overrides: object) -> Iterator[tuple[World, datetime]]:
    port = free_port()
    settings = make_settings(root / "portal", public_url=f"http://127.0.0.1:{port}", **overrides)
    app = create_app(settings)
    seed(settings, app.state.services)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=2 * SEGMENTS + 2)
    with served(app, port) as url, httpx.Client(base_url=url, timeout=30) as http:
        for camera, folder in videos.items():
            ingest(http, camera, folder, start)
        yield World(HttpClient(http, app), settings), start  # type: ignore[arg-type]


class HttpClient:
    """The World helper's client interface over a real HTTP connection."""

    def __init__(self, http: httpx.Client, app: object) -> None:
        self.http = http
        self.app = app  # the server runs in this process: World.services reads its state
        self.post = http.post
        self.get = http.get


def ingest(http: httpx.Client, camera: str, folder: Path, start: datetime) -> None:
    run = new_run_id(start)
    auth = {"Authorization": f"Bearer {DEVICE_TOKEN}"}
    init = (folder / "init.mp4").read_bytes()
    answer = http.put(
        f"/ingest/v1/cameras/{camera}/runs/{run}/init", content=init, headers={**auth, "Content-Type": "video/mp4"}
    )
    assert answer.status_code == 201, answer.text
    for seq in range(SEGMENTS):
        body = (folder / f"seg{seq}.m4s").read_bytes()
        headers = {
            **auth,
            "Content-Type": "video/iso.segment",
            "X-Content-SHA256": hashlib.sha256(body).hexdigest(),
            "X-Segment-Start": format_time(start + timedelta(seconds=2 * seq)),
            "X-Segment-Duration": "2.000",
            "X-Clock-Synced": "1",
        }
        answer = http.put(f"/ingest/v1/cameras/{camera}/runs/{run}/segments/{seq}", content=body, headers=headers)
        assert answer.status_code == 201, answer.text
