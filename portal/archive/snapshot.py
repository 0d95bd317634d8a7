"""A JPEG of a camera at a moment: decode the frame nearest to it with PyAV (no ffmpeg process)."""

import io
from datetime import datetime, timedelta
from fractions import Fraction

import av
import av.error
from sqlalchemy.orm import Session

from portal.archive.segments import SegmentRef, newest_segments, segments_in_range
from portal.archive.storage import ObjectNotFound, storage_of

NEAR = timedelta(seconds=1)


class NoVideo(LookupError):
    """Nothing recorded at that moment."""


def snapshot_jpeg(
    services, camera_id: str, at: datetime | None = None, *, exact: bool = False, db: Session | None = None
) -> bytes:
    """JPEG of the keyframe at or before ``at`` (or the newest keyframe); NoVideo when nothing is there.

    ``exact`` decodes every frame instead of keyframes only, for the frame showing at ``at`` (the newest
    frame when ``at`` is None): slower, for clients that ask for one moment precisely (Forpost JPG).
    ``db`` reuses the caller's session instead of opening one.
    """
    if db is None:
        with services.db.session() as own:
            ref = _segment_at(own, camera_id, at)
    else:
        ref = _segment_at(db, camera_id, at)
    storage = storage_of(services)
    offset = None if at is None else max((at - ref.start).total_seconds(), 0.0)
    try:
        data = storage.read(ref.init_key) + storage.read(ref.object_key)
    except ObjectNotFound:
        raise NoVideo(f"camera {camera_id!r}: the video there is gone (past retention)") from None
    try:
        return _encode_jpeg(_frame(data, offset, exact))
    except (av.error.FFmpegError, IndexError):  # stored bytes a box sent that do not decode (no video stream)
        raise NoVideo(f"camera {camera_id!r}: the video there cannot be decoded") from None


def _segment_at(db: Session, camera_id: str, at: datetime | None) -> SegmentRef:
    if at is None:
        newest = newest_segments(db, camera_id, count=1)
        if not newest:
            raise NoVideo(f"camera {camera_id!r} has no video yet")
        return newest[0]
    # The segment containing ``at``, else the first one starting within a second after it.
    found = segments_in_range(db, camera_id, at, at) or segments_in_range(db, camera_id, at, at + NEAR)
    if not found:
        raise NoVideo(f"camera {camera_id!r} has no video at {at.isoformat()}")
    return found[0]


def _frame(data: bytes, offset: float | None, exact: bool) -> av.VideoFrame:
    """The last (key)frame at or before ``offset`` seconds into the segment (the last one when None)."""
    with av.open(io.BytesIO(data), mode="r") as container:
        stream = container.streams.video[0]
        if not exact:
            stream.codec_context.skip_frame = "NONKEY"
        chosen = None
        first_pts = None
        for frame in container.decode(stream):
            first_pts = frame.pts if first_pts is None else first_pts
            t = 0.0
            if frame.pts is not None and first_pts is not None and stream.time_base is not None:
                t = float((frame.pts - first_pts) * stream.time_base)
            if chosen is not None and offset is not None and t > offset:
                break
            chosen = frame
        if chosen is None:
            raise NoVideo("the segment has no decodable keyframe")
        return chosen


def _encode_jpeg(frame: av.VideoFrame) -> bytes:
    encoder = av.CodecContext.create("mjpeg", "w")
    encoder.width, encoder.height = frame.width, frame.height
    encoder.pix_fmt = "yuvj420p"
    encoder.time_base = Fraction(1, 25)  # a still has no timing; huge stream time bases make mjpeg refuse
    packets = encoder.encode(frame.reformat(format="yuvj420p")) + encoder.encode(None)
    return b"".join(bytes(p) for p in packets)
