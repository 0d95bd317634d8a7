"""A JPEG of a camera at a moment: decode the keyframe nearest to it with PyAV (no ffmpeg process)."""

import io
from datetime import datetime, timedelta

import av
from sqlalchemy import select

from portal.archive.clip import segments_in_range
from portal.archive.playlists import newest_segments
from portal.archive.storage import storage_of
from portal.models import ArchiveRun

NEAR = timedelta(seconds=1)


class NoVideo(LookupError):
    """Nothing recorded at that moment."""


def snapshot_jpeg(services, camera_id: str, at: datetime | None = None) -> bytes:  # noqa: ANN001 - Services
    """JPEG of the keyframe at or before ``at`` (or the newest keyframe); NoVideo when nothing is there."""
    storage = storage_of(services)
    with services.db.session() as db:
        if at is None:
            newest = newest_segments(db, camera_id, count=1)
            if not newest:
                raise NoVideo(f"camera {camera_id!r} has no video yet")
            segment, at_offset = newest[0], None
            init_key = db.scalar(select(ArchiveRun.init_key).where(ArchiveRun.id == segment.run_pk))
            key = segment.object_key
        else:
            # The segment containing ``at``, else the first one starting within a second after it.
            found = segments_in_range(db, camera_id, at, at) or segments_in_range(db, camera_id, at, at + NEAR)
            if not found:
                raise NoVideo(f"camera {camera_id!r} has no video at {at.isoformat()}")
            ref = found[0]
            init_key, key, at_offset = ref.init_key, ref.object_key, max((at - ref.start).total_seconds(), 0.0)
    data = storage.read(init_key) + storage.read(key)
    return _encode_jpeg(_keyframe(data, at_offset))


def _keyframe(data: bytes, offset: float | None) -> av.VideoFrame:
    """The last keyframe at or before ``offset`` seconds into the segment (the last one when None)."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        stream.codec_context.skip_frame = "NONKEY"
        chosen = None
        first_pts = None
        for frame in container.decode(stream):
            first_pts = frame.pts if first_pts is None else first_pts
            t = float((frame.pts - first_pts) * stream.time_base) if frame.pts is not None else 0.0
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
    encoder.time_base = frame.time_base or 1
    packets = encoder.encode(frame.reformat(format="yuvj420p")) + encoder.encode(None)
    return b"".join(bytes(p) for p in packets)
