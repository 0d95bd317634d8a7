"""A JPEG of a camera's newest recorded picture: the last keyframe of its newest segment, via PyAV."""

from __future__ import annotations

import io
from fractions import Fraction

from edge.archive.catalogue import Catalogue


class SnapshotError(RuntimeError):
    """No picture can be made; the message says why."""


def snapshot_jpeg(catalogue: Catalogue, camera_id: str) -> bytes:
    segment = catalogue.latest_segment(camera_id)
    if segment is None:
        raise SnapshotError(f"camera {camera_id!r} has no recorded segment yet")
    run = catalogue.run(camera_id, segment.run_id)
    if run is None:
        raise SnapshotError(f"camera {camera_id!r}: the run of the newest segment is missing")
    try:
        data = run.init_path.read_bytes() + segment.path.read_bytes()
    except OSError as exc:
        raise SnapshotError(f"camera {camera_id!r}: cannot read the newest segment: {exc}") from exc
    return keyframe_jpeg(data)


def keyframe_jpeg(fmp4: bytes) -> bytes:
    """Decode the last keyframe of init+segment bytes and encode it as JPEG."""
    import av  # lazily: PyAV loads the ffmpeg libraries (~20 MB) and the recorder itself never needs them

    with av.open(io.BytesIO(fmp4), mode="r", format="mp4") as container:
        stream = container.streams.video[0]
        last_key = None
        for packet in container.demux(stream):
            if packet.is_keyframe and packet.size:
                last_key = packet
        if last_key is None:
            raise SnapshotError("the segment holds no keyframe")
        frames = stream.codec_context.decode(last_key) + stream.codec_context.decode(None)
    if not frames:
        raise SnapshotError("the keyframe could not be decoded")
    frame = frames[0]
    encoder = av.CodecContext.create("mjpeg", "w")
    encoder.width, encoder.height = frame.width, frame.height
    encoder.pix_fmt = "yuvj420p"
    # A still has no timing; a fixed small time base also avoids encoder limits on huge ones (raw H.264 from
    # the Pi camera arrives with 1/1200000, which mjpeg refuses to open with).
    encoder.time_base = Fraction(1, 25)
    packets = encoder.encode(frame.reformat(format="yuvj420p")) + encoder.encode(None)
    return b"".join(bytes(p) for p in packets)
