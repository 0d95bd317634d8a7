"""Helpers the end-to-end tests share: wait for recorded video at the portal, fetch and inspect a clip."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import av
import httpx

from cloud_sync.segments import format_time, parse_time
from tests.fixtures.ports import wait_until


@dataclass(frozen=True)
class ClipFacts:
    frames: int
    width: int
    height: int
    seconds: float  # from the first frame's timestamp to the end of the last frame


def longest_range(client: httpx.Client, camera_id: str, since: datetime, until: datetime) -> tuple[datetime, datetime]:
    answer = client.get(
        f"/api/v1/cameras/{camera_id}/timeline", params={"from": format_time(since), "to": format_time(until)}
    )
    answer.raise_for_status()
    ranges = [(parse_time(r["start"]), parse_time(r["end"])) for r in answer.json()["ranges"]]
    if not ranges:
        return since, since
    return max(ranges, key=lambda r: r[1] - r[0])


def wait_for_recording(
    client: httpx.Client, camera_id: str, seconds: float, timeout: float, since: datetime | None = None
) -> tuple[datetime, datetime]:
    """Poll the portal's timeline until one unbroken range of at least `seconds` (after `since`) is there."""
    since = since or datetime.now().astimezone() - timedelta(hours=1)
    found: list[tuple[datetime, datetime]] = []

    def long_enough() -> bool:
        span = longest_range(client, camera_id, since, datetime.now().astimezone() + timedelta(minutes=5))
        found[:] = [span]
        return (span[1] - span[0]).total_seconds() >= seconds

    wait_until(long_enough, timeout=timeout, interval=2, message=f"{seconds} s of {camera_id} at the portal")
    return found[0]


def download(client: httpx.Client, camera_id: str, start: datetime, duration: int, target: Path) -> httpx.Headers:
    params = {"start": format_time(start), "duration": str(duration)}
    with client.stream("GET", f"/api/v1/cameras/{camera_id}/download", params=params, timeout=120) as answer:
        if answer.status_code != 200:
            answer.read()
            raise AssertionError(f"download answered {answer.status_code}: {answer.text}")
        with target.open("wb") as out:
            for chunk in answer.iter_bytes():
                out.write(chunk)
        return answer.headers


def inspect_clip(path: Path) -> ClipFacts:
    """Decode every frame with PyAV; the span is measured from the stream's own timestamps."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        first = last = None
        frames = 0
        width = height = 0
        for frame in container.decode(stream):
            if frame.pts is None:
                continue
            t = float(frame.pts * frame.time_base)
            first = t if first is None else min(first, t)
            last = t if last is None else max(last, t)
            frames += 1
            width, height = frame.width, frame.height
        rate = float(stream.average_rate or stream.guessed_rate or 10)
    if frames == 0 or first is None or last is None:
        raise AssertionError(f"{path} has no decodable video frames")
    return ClipFacts(frames=frames, width=width, height=height, seconds=last - first + 1 / rate)
