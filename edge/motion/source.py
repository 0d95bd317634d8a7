"""Where a camera's motion frames come from, and decoding them cheaply with PyAV.

The cheapest source first: the camera's sub-stream (`sub_url`, typically 640x360 at a few hundred kbit/s),
else the main stream (every frame, or keyframes only with `main_decode: keyframes`: the decoder skips
all others, ~1 picture per GOP). Frames are decimated to `motion.fps` and scaled to the small grey
analysis size by swscale. A synthetic camera decodes its lavfi graph. The Pi camera needs no decoding at
all: its recorder asks the ISP for a second 320-px `lores` stream, whose luma the detector reads.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

from edge.config import CameraConfig

REANCHOR_SECONDS = 2.0  # a live stream's pts drifting this far from the wall clock is re-anchored
RTSP_TIMEOUT_US = "5000000"
THUMB_WIDTH = 320
PICAMERA_WAIT_SECONDS = 30.0  # for the recorder to start the Pi camera (and after it stops)


class MotionSourceError(RuntimeError):
    """The camera offers no source motion can use; the message says why and what to configure."""


@dataclass(frozen=True)
class Source:
    url: str  # may carry credentials: never log it, log `label`
    label: str  # "sub" | "main" | "main keyframes" | "synthetic" | "file"
    format: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    keyframes_only: bool = False
    live: bool = True  # times from the wall clock (anchored once); False: from the file's pts at `origin`


def choose_source(camera: CameraConfig) -> Source:
    motion = camera.motion
    if camera.kind == "rtsp":
        options = {"rtsp_transport": "tcp", "timeout": RTSP_TIMEOUT_US}
        if motion.source in ("auto", "sub") and camera.sub_url:
            return Source(camera.credentialed_url(camera.sub_url), "sub", options=options)
        if motion.source == "sub":
            raise MotionSourceError(f"camera {camera.id!r}: motion.source is 'sub' but the camera has no sub_url")
        keyframes = motion.main_decode == "keyframes"
        return Source(
            camera.credentialed_url(),
            "main keyframes" if keyframes else "main",
            options=options,
            keyframes_only=keyframes,
        )
    if camera.kind == "synthetic":
        graph = f"{camera.lavfi_source()}=size={camera.width}x{camera.height}:rate={camera.fps}"
        return Source(graph, "synthetic", format="lavfi")
    if camera.kind == "picamera":
        return Source(camera.id, "picamera lores", format="picamera")
    raise MotionSourceError(f"camera {camera.id!r}: no motion source for a {camera.kind!r} camera")


def file_source(path: str) -> Source:
    return Source(path, "file", live=False)


def frames(
    source: Source,
    fps: float,
    stop: threading.Event | None = None,
    origin: datetime | None = None,
) -> Iterator[tuple[datetime, Any]]:
    """(time, av.VideoFrame) at most `fps` a second until the stream ends or `stop` is set."""
    import av  # lazily, as edge/snapshot.py: the recorder alone never loads the ffmpeg libraries

    interval = 1.0 / fps
    if source.format == "picamera":
        yield from _lores_frames(source.url, interval, stop or threading.Event())
        return
    with av.open(source.url, format=source.format, options=source.options, timeout=10.0) as container:
        stream = container.streams.video[0]
        stream.thread_type = "SLICE"  # no frame threads: lower latency and memory on the Pi
        if source.keyframes_only:
            stream.codec_context.skip_frame = "NONKEY"
        anchor: tuple[float, datetime] | None = None
        next_due = float("-inf")
        for frame in container.decode(stream):
            if stop is not None and stop.is_set():
                return
            now = datetime.now(UTC)
            t = frame.time
            if t is None:
                at = now
            else:
                if anchor is None:
                    anchor = (t, now if source.live else (origin or now))
                at = anchor[1] + timedelta(seconds=t - anchor[0])
                # A live picture is never from the future (a burst of buffered frames at the start) nor long past.
                if source.live and (at > now or (now - at).total_seconds() > REANCHOR_SECONDS):
                    anchor, at = (t, now), now
            seconds = at.timestamp()
            if seconds < next_due:
                continue
            next_due = seconds + interval * 0.95  # a little early: source frames jitter around the target rate
            yield at, frame


def _lores_frames(camera_id: str, interval: float, stop: threading.Event) -> Iterator[tuple[datetime, Any]]:
    """The Pi camera's lores stream, taken from its running recorder (edge/recorder/picamera.py): no decoding."""
    import av

    from edge.recorder.picamera import running_feed

    waited = 0.0
    while not stop.is_set():
        feed = running_feed(camera_id)
        luma = feed.lores_gray() if feed is not None else None
        if luma is None:
            if waited > PICAMERA_WAIT_SECONDS:
                raise MotionSourceError(f"camera {camera_id!r}: the Pi camera is not recording, no lores stream")
            waited += 0.5
            stop.wait(0.5)
            continue
        waited = 0.0
        yield datetime.now(UTC), av.VideoFrame.from_ndarray(luma, format="gray")
        stop.wait(interval)


def gray(frame: Any, width: int, height: int) -> Any:
    """The frame as a small grey numpy array (uint8, height x width)."""
    return frame.reformat(width=width, height=height, format="gray").to_ndarray()


def thumbnail_jpeg(frame: Any) -> bytes:
    """A small JPEG of the frame (THUMB_WIDTH wide) for the event list."""
    import av

    height = max(2, round(THUMB_WIDTH * frame.height / max(frame.width, 1) / 2) * 2)
    small = frame.reformat(width=THUMB_WIDTH, height=height, format="yuvj420p")
    encoder = av.CodecContext.create("mjpeg", "w")
    encoder.width, encoder.height = THUMB_WIDTH, height
    encoder.pix_fmt = "yuvj420p"
    encoder.time_base = Fraction(1, 25)
    encoder.options = {"q:v": "6"}
    packets = encoder.encode(small) + encoder.encode(None)
    return b"".join(bytes(p) for p in packets)
