"""fMP4 (init + media segments of one run) to HTTP-FLV with PyAV: packets are copied, never re-encoded,
and the FLV bytes are handed on as soon as the muxer writes them."""

import io
from collections.abc import Iterable, Iterator

import av


class ChunkReader(io.RawIOBase):
    """A read-only, non-seekable file over an iterator of byte chunks (what PyAV's demuxer reads from)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while not self._buffer:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._buffer = chunk
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size


class _Sink(io.RawIOBase):
    """Collects what the muxer writes so the generator can pass it on."""

    def __init__(self) -> None:
        self.pending = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.pending += data
        return len(data)

    def take(self) -> bytes:
        out, self.pending = bytes(self.pending), bytearray()
        return out


def fmp4_to_flv(chunks: Iterable[bytes], container: str = "mp4") -> Iterator[bytes]:
    """The FLV stream of the fMP4 bytes in ``chunks`` (video only; audio is not recorded by the boxes);
    ``container="mpegts"`` for concatenated TS segments (the light relay's)."""
    source = av.open(ChunkReader(chunks), mode="r", format=container)
    sink = _Sink()
    target = av.open(sink, mode="w", format="flv")
    try:
        video = source.streams.video[0]
        out = target.add_stream_from_template(video)
        first_dts = None
        for packet in source.demux(video):
            if packet.dts is None:
                continue  # the demuxer's end-of-stream flush packet
            if first_dts is None:
                first_dts = packet.dts
            # FLV timestamps start at zero for the player, whatever the run's decode time was.
            packet.dts -= first_dts
            packet.pts = packet.pts - first_dts if packet.pts is not None else packet.dts
            packet.stream = out
            target.mux(packet)
            if sink.pending:
                yield sink.take()
        target.close()
        yield sink.take()
    finally:
        source.close()


def fmp4_to_mpegts(init: bytes, segment: bytes) -> bytes:
    """One MPEG-TS segment from an fMP4 media segment and its run's init: packets copied with their own
    timestamps (the run's decode times, so consecutive segments continue each other), never re-encoded.
    The muxer converts H.264 to Annex B itself (libavformat's automatic h264_mp4toannexb)."""
    source = av.open(io.BytesIO(init + segment), mode="r", format="mp4")
    sink = _Sink()
    target = av.open(sink, mode="w", format="mpegts")
    try:
        video = source.streams.video[0]
        out = target.add_stream_from_template(video)
        for packet in source.demux(video):
            if packet.dts is None:
                continue  # the demuxer's end-of-stream flush packet
            packet.stream = out
            target.mux(packet)
        target.close()
        return sink.take()
    finally:
        source.close()
