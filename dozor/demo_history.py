"""The demo's past: three hours of archive behind the live edge, with one camera outage and one box outage.

A fresh demo would otherwise hold a minute of video, and a newcomer would never see ranges or typed gaps on
the timeline. The history goes in exactly as a box sends it: ffmpeg cuts fMP4 HLS runs (an init segment plus
media segments), the box's own ingest client (cloud_sync.ingest_client) PUTs them with their start times in
the past, and POSTs the box's typed gaps. Done once per demo directory (a marker file).

In units of ``unit`` (an hour in the demo), counting back from now, for the first camera A and the rest B:

    -3.00 .. -2.00  A, B recording
    -2.00 .. -1.75  A: camera unreachable      B: a second run, back to back
    -1.75 .. -1.08  A recording                B recording
    -1.08 .. -0.83  box down (both)
    -0.83 .. now    A, B recording

and "box down" from the end of that last run on to a minute after the seeding is done (the box starts right after).
Each run ends on its last whole segment; what follows it starts exactly there, so no untyped seam remains.
"""

import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from pathlib import Path

from cloud_sync.catalogue import StoredSegment
from cloud_sync.ingest_client import IngestClient
from cloud_sync.segments import new_run_id

SOURCES = ("testsrc2", "smptebars")  # what the demo's live cameras show, so the past looks like them
FPS = 2
GOP = 2 * FPS


@dataclass(frozen=True)
class Clip:
    init: Path
    segments: list[tuple[Path, float]]  # file, duration (s)


@dataclass(frozen=True)
class Gap:
    start: datetime
    end: datetime
    reason: str
    id: int = 0
    camera_id: str = ""


def encode_clip(ffmpeg: str, source: str, seconds: float, segment_seconds: float, folder: Path) -> Clip:
    """A run's worth of synthetic video, cut the way the box's recorder cuts it (HLS muxer, fMP4)."""
    folder.mkdir(parents=True, exist_ok=True)
    playlist = folder / "run.m3u8"
    subprocess.run(
        [ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", f"{source}=size=320x180:rate={FPS}",
         "-t", f"{seconds:.0f}", "-c:v", "libx264", "-preset", "ultrafast", "-g", str(GOP), "-keyint_min", str(GOP),
         "-sc_threshold", "0", "-pix_fmt", "yuv420p", "-f", "hls", "-hls_time", f"{segment_seconds:g}",
         "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4",
         "-hls_segment_filename", str(folder / "seg%05d.m4s"), str(playlist)],
        check=True,
        timeout=600,
    )  # fmt: skip
    segments, duration = [], 0.0
    for line in playlist.read_text(encoding="utf-8").splitlines():
        if line.startswith("#EXTINF:"):
            duration = float(line[len("#EXTINF:") :].split(",")[0])
        elif line and not line.startswith("#"):
            segments.append((folder / line, duration))
    return Clip(folder / "init.mp4", segments)


@dataclass(frozen=True)
class Step:
    kind: str  # run | gap
    start: datetime
    end: datetime
    reason: str = ""


def plan(now: datetime, unit: timedelta, cameras: list[str]) -> dict[str, list[Step]]:
    """Each camera's runs and box gaps, in order (see the module doc)."""
    t = lambda units: now - unit * units  # noqa: E731 - points of the plan, in units before now
    steps: dict[str, list[Step]] = {}
    for i, camera in enumerate(cameras):
        first = [Step("run", t(3), t(2))]
        if i == 0:
            first += [Step("gap", t(2), t(1.75), "camera_unreachable"), Step("run", t(1.75), t(1.08))]
        else:
            first += [Step("run", t(2), t(1.08))]  # a new run, back to back (an ffmpeg restart)
        steps[camera] = [*first, Step("gap", t(1.08), t(0.83), "box_down"), Step("run", t(0.83), now)]
    return steps


def seed_camera(client: IngestClient, camera: str, clip: Clip, steps: list[Step]) -> tuple[int, datetime, list[Gap]]:
    """Upload one camera's steps. A run ends on its last whole segment, so what follows it (a gap, a run back to
    back) starts where that run really ended. Returns segments stored, the last run's end and the gaps."""
    stored, end, gaps, previous = 0, steps[0].start, [], ""
    for step in steps:
        if step.kind == "run":
            count, end = upload_run(client, camera, clip, end if previous == "run" else step.start, step.end)
            stored += count
        else:
            gaps.append(Gap(end, step.end, step.reason))
        previous = step.kind
    return stored, end, gaps


def upload_run(client: IngestClient, camera: str, clip: Clip, start: datetime, end: datetime) -> tuple[int, datetime]:
    """The clip's first segments that fit in [start, end), as one run. Returns how many were stored, and its end."""
    run = new_run_id(start)
    put = client.put_init(camera, run, clip.init)
    if not put.stored:
        raise RuntimeError(f"init of {camera}/{run}: {put.kind} {put.status} {put.detail}")
    stored, t = 0, start
    for seq, (path, duration) in enumerate(clip.segments):
        if t + timedelta(seconds=duration) > end:
            break
        body = path.read_bytes()
        segment = StoredSegment(
            id=seq, camera_id=camera, run_id=run, seq=seq, start=t, duration=duration, size=len(body),
            sha256=sha256(body).hexdigest(), clock_synced=True, path=path,
        )  # fmt: skip
        put = client.put_segment(segment)
        if not put.stored:
            raise RuntimeError(f"segment {camera}/{run}/{seq}: {put.kind} {put.status} {put.detail}")
        stored += 1
        t += timedelta(seconds=duration)
    return stored, t


def seed_history(
    portal_url: str,
    upload_token: str,
    cameras: list[str],
    ffmpeg: str,
    workdir: Path,
    unit: timedelta = timedelta(hours=1),
    segment_seconds: float = 58.0,  # few uploads (the portal takes up to 60 s); cut on the 2 s keyframes
    say: Callable[[str], None] = print,
) -> int:
    """Encode, then upload the plan through the ingest API. Returns the number of segments stored."""
    marker = workdir / "seeded"
    if marker.exists():
        return 0
    say(f"Seeding {3 * unit.total_seconds() / 3600:g} h of past archive (one camera outage, one box outage)…")
    seconds = unit.total_seconds()  # the plan's longest run
    clips = {
        camera: encode_clip(ffmpeg, SOURCES[i % len(SOURCES)], seconds, segment_seconds, workdir / f"clip-{i}")
        for i, camera in enumerate(cameras)
    }
    steps = plan(datetime.now(UTC).replace(microsecond=0), unit, cameras)  # the wire carries milliseconds

    def seed(camera: str) -> tuple[int, datetime, list[Gap]]:
        client = IngestClient(portal_url, upload_token)
        try:
            return seed_camera(client, camera, clips[camera], steps[camera])
        finally:
            client.close()

    with ThreadPoolExecutor(max_workers=len(cameras)) as pool:
        results = dict(zip(cameras, pool.map(seed, cameras), strict=True))
    stored = sum(count for count, _end, _gaps in results.values())
    # The box really was off while its past was made up, up to where the live recording begins: a minute
    # more than this takes (a range always wins over a gap, so the overlap with live video costs nothing).
    off_until = datetime.now(UTC) + timedelta(minutes=1)
    client = IngestClient(portal_url, upload_token)
    try:
        for camera, (_count, end, gaps) in results.items():
            answer = client.post_gaps(camera, [*gaps, Gap(end, off_until, "box_down")])  # type: ignore[arg-type]
            if not answer.stored:
                raise RuntimeError(f"gaps of {camera}: {answer.kind} {answer.status} {answer.detail}")
    finally:
        client.close()
    marker.write_text(f"{stored} segments\n", encoding="utf-8")
    say(f"Past archive seeded: {stored} segments.")
    return stored
