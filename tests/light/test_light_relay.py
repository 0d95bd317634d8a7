"""The box's relay (edge/light_relay.py): what it refuses, and on a real RTSP sub-stream that it uploads 1 s TS
segments only while leased, ends by itself when the lease lapses or the portal refuses, and leaves no files."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import av
import psutil
import pytest

from cloud_sync.ingest_client import Outcome
from cloud_sync.messages import validate_args
from edge.config import EdgeConfig
from edge.light_relay import LightRefused, LightRelays
from edge.recorder.command import ffmpeg_binary
from tests.fixtures.ports import wait_until


@dataclass
class Sent:
    camera_id: str
    run_id: str
    seq: int
    body: bytes
    duration: float


@dataclass
class Ingest:
    """The portal's ingest as the relay sees it: every PUT recorded; `refuse` answers like a portal without a lease."""

    sent: list[Sent] = field(default_factory=list)
    refuse: bool = False

    def put_light(self, camera_id: str, run_id: str, seq: int, body: bytes, duration: float) -> Outcome:
        if self.refuse:
            return Outcome("refused", 409, "nobody is watching")
        self.sent.append(Sent(camera_id, run_id, seq, body, duration))
        return Outcome("stored", 201)


class Box:
    """What the relays read of the box: its config, its paused cameras and its ffmpeg."""

    def __init__(self, config: EdgeConfig, paused: tuple[str, ...] = ()) -> None:
        self.config = config
        self.paused = list(paused)
        self.ffmpeg = ffmpeg_binary(None)

    def paused_cameras(self) -> list[str]:
        return self.paused


def _config(tmp_path: Path, sub_url: str | None) -> EdgeConfig:
    cameras = [
        {"id": "cam-1", "url": "rtsp://127.0.0.1:9/main", **({"sub_url": sub_url} if sub_url else {})},
        {"id": "cam-2", "url": "rtsp://127.0.0.1:9/main"},
        {"id": "synth", "url": "lavfi:testsrc2"},
    ]
    return EdgeConfig.model_validate({"device_id": "box-1", "data_dir": str(tmp_path), "cameras": cameras})


def test_refusals_and_the_command_arguments(tmp_path: Path) -> None:
    relays = LightRelays(Box(_config(tmp_path, "rtsp://127.0.0.1:9/sub"), paused=("cam-1",)), Ingest())  # type: ignore[arg-type]
    with pytest.raises(LightRefused, match="not configured"):
        relays.lease("nope", 30)
    with pytest.raises(LightRefused, match="no sub-stream"):
        relays.lease("cam-2", 30)
    with pytest.raises(LightRefused, match="no sub-stream"):
        relays.lease("synth", 30)
    with pytest.raises(LightRefused, match="home mode"):
        relays.lease("cam-1", 30)
    assert relays.lease("cam-2", 0) == {"camera_id": "cam-2", "relaying": False}  # stopping nothing is fine
    assert relays.active() == []
    with pytest.raises(ValueError, match="seconds"):
        validate_args("live.light", {"camera_id": "cam-1", "seconds": 121})  # a lease is at most 2 minutes
    with pytest.raises(ValueError, match="camera_id"):
        validate_args("live.light", {"seconds": 10})


@pytest.mark.slow
def test_relays_the_sub_stream_while_leased_and_stops_by_itself(tmp_path: Path, rtsp_camera) -> None:
    camera = rtsp_camera(width=320, height=240, sub=(160, 90))
    ingest = Ingest()
    relays = LightRelays(Box(_config(tmp_path, camera.sub_url())), ingest)  # type: ignore[arg-type]
    try:
        first = relays.lease("cam-1", 8.0)
        assert first["relaying"] and first["started"]
        wait_until(lambda: len(ingest.sent) >= 2, 20, message="two light segments uploaded")
        sizes = set()
        for sent in ingest.sent:
            with av.open(io.BytesIO(sent.body), format="mpegts") as container:
                frame = next(container.decode(video=0))
                sizes.add((frame.width, frame.height))
        assert sizes == {(160, 90)}
        assert all(0 < s.duration <= 2.5 for s in ingest.sent) and {s.run_id for s in ingest.sent} == {first["run_id"]}
        again = relays.lease("cam-1", 8.0)  # a renewal: the same relay, the same run
        assert again["run_id"] == first["run_id"] and not again["started"]

        # ffmpeg dies mid-lease (the camera dropped the connection): restarted, numbering goes on in the run.
        before = len(ingest.sent)
        for child in psutil.Process().children():
            if child.name().startswith("ffmpeg"):
                child.kill()
        relays.lease("cam-1", 8.0)
        wait_until(lambda: len(ingest.sent) >= before + 2, 20, message="segments after the ffmpeg restart")

        wait_until(lambda: relays.active() == [], 20, message="the relay ending when its lease lapsed")
        count = len(ingest.sent)
        spools = [p for p in relays._root.iterdir()] if relays._root is not None else []
        assert spools == []  # its spool is gone with it
        seqs = [s.seq for s in ingest.sent]
        assert seqs == sorted(set(seqs))  # each segment once, in order

        ingest.refuse = True  # a new lease, but the portal says nobody watches: the relay ends at once
        assert relays.lease("cam-1", 60.0)["started"]
        wait_until(lambda: relays.active() == [], 20, message="the relay ending on the portal's refusal")
        assert len(ingest.sent) == count
    finally:
        relays.stop()
