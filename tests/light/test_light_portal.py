"""The portal's side of light live view (docs/live-light.md), in process over the Forpost test world: the ingest
takes segments only from the camera's own box and only while a lease is live, the playlist leases the relay over
the command channel and renews it after a third of the lease, the store stays bounded and forgets after a
minute, and Forpost LightStream=1 / 0 pick the light or the main stream."""

from __future__ import annotations

import hashlib
import io
import subprocess
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import av
import pytest
from sqlalchemy import delete, func, select, update

from cloud_sync.light import LIGHT_CONTENT_TYPE, light_path
from cloud_sync.segments import HEADER_DURATION, HEADER_SHA256
from edge.recorder.command import ffmpeg_binary
from portal.auth.sessions import open_session
from portal.light import lease as light_lease
from portal.light import store
from portal.models import ArchiveSegment, Contract, DeviceHealth, utcnow
from portal.models.light import LightLease, LightSegment
from tests.fixtures.ports import wait_until
from tests.forpost.conftest import DEVICE_TOKEN, World

CAM = "flat-1001"  # box-1's, contract 1001's own camera
RUN = "20261202T080000Z-abcdef"
BOX = {"Authorization": f"Bearer {DEVICE_TOKEN}"}


class Commands:
    """The command channel as the portal's domains see it (services.commands), recording what was sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, Any]]] = []

    def send(self, device_id: str, name: str, args: dict[str, Any] | None = None, timeout=None, ttl=None, sent_by=""):
        assert sent_by == "light", sent_by
        self.sent.append((device_id, name, dict(args or {})))
        return None


@pytest.fixture(scope="module")
def ts_segment(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """One second of 160x90 H.264 in MPEG-TS, as the box's relay cuts it."""
    out = Path(tmp_path_factory.mktemp("light-ts")) / "one.ts"
    subprocess.run(
        [ffmpeg_binary(None), "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=160x90:rate=5", "-t", "1",
         "-c:v", "libx264", "-g", "5", "-f", "mpegts", str(out)],
        check=True,
    )  # fmt: skip
    return out.read_bytes()


def _bearer(world: World, number: str) -> dict[str, str]:
    with world.services.db.session() as db:
        contract = db.scalar(select(Contract).where(Contract.number == number))
        return {"Authorization": f"Bearer {open_session(db, contract=contract, lifetime=timedelta(hours=1))[0]}"}


def _capable(world: World, light: bool = True) -> None:
    with world.services.db.session() as db:
        db.merge(DeviceHealth(device_id="box-1", disk_total=0, disk_free=0, backlog_segments=0, backlog_bytes=0,
                              cameras={CAM: {"state": "recording", "light": light}}))  # fmt: skip


def _put(world: World, body: bytes, seq: int, headers: dict[str, str] | None = None, run: str = RUN):
    sent = {
        **BOX,
        "Content-Type": LIGHT_CONTENT_TYPE,
        HEADER_SHA256: hashlib.sha256(body).hexdigest(),
        HEADER_DURATION: "1.000",
        **(headers or {}),
    }
    return world.client.put(light_path(CAM, run, seq), content=body, headers=sent)


def _uris(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def _rows(world: World) -> int:
    with world.services.db.session() as db:
        return db.scalar(select(func.count()).select_from(LightSegment)) or 0


def test_lease_ingest_playlist_and_renewal(world: World, ts_segment: bytes) -> None:
    commands = Commands()
    world.services.commands = commands
    world.services.settings.light_first_wait = 0.0
    owner = _bearer(world, "1001")
    url = f"/api/v1/cameras/{CAM}/light.m3u8"

    assert world.client.get(url, headers=owner).status_code == 404  # the box reports no sub-stream
    assert _put(world, ts_segment, 0).status_code == 409  # nobody asked: no live lease, the box stops
    _capable(world)
    assert world.client.get(url, headers=_bearer(world, "1002")).status_code == 403  # not their camera
    assert commands.sent == []

    first = world.client.get(url, headers=owner)  # the lease goes out; the relay has sent nothing yet
    assert first.status_code == 503 and "not started" in first.text
    lease = world.services.settings.light_lease_seconds
    assert commands.sent == [("box-1", "live.light", {"camera_id": CAM, "seconds": lease})]

    other_box = {"Authorization": f"Bearer {DEVICE_TOKEN}-2"}
    assert _put(world, ts_segment, 0, other_box).status_code == 403  # one box writes only its own cameras
    assert _put(world, ts_segment, 0, {HEADER_SHA256: "0" * 64}).status_code == 400
    assert _put(world, ts_segment, 0, {"Content-Type": "video/mp4"}).status_code == 415
    bad = _put(world, ts_segment, 0, {HEADER_DURATION: "99"})
    assert bad.status_code == 400 and HEADER_DURATION in bad.json()["detail"]
    assert _put(world, ts_segment, 0, run="not-a-run").status_code == 400
    receipt = _put(world, ts_segment, 0)
    assert receipt.status_code == 201, receipt.text
    assert receipt.json() == {
        "stored": "created", "camera_id": CAM, "run_id": RUN, "seq": 0,
        "sha256": hashlib.sha256(ts_segment).hexdigest(),
    }  # fmt: skip
    assert _put(world, ts_segment, 0).status_code == 200  # a retry of the same bytes
    assert _put(world, ts_segment + b"x", 0).status_code == 409  # the same key with other bytes
    assert _put(world, ts_segment, 1).status_code == 201

    playlist = world.client.get(url, headers=owner)
    assert playlist.status_code == 200, playlist.text
    assert "#EXT-X-TARGETDURATION:1" in playlist.text
    uris = _uris(playlist.text)
    assert len(uris) == 2 and all("token=" in u for u in uris)
    segment = world.client.get(uris[-1])
    assert segment.status_code == 200 and segment.headers["content-type"] == LIGHT_CONTENT_TYPE
    with av.open(io.BytesIO(segment.content), format="mpegts") as container:
        frame = next(container.decode(video=0))
        assert (frame.width, frame.height) == (160, 90)
    assert world.client.get(uris[-1].split("?")[0], headers=_bearer(world, "1002")).status_code == 403
    assert len(commands.sent) == 1  # renewed in the database, not resent: a third of the lease has not passed

    with world.services.db.session() as db:  # a third of the lease later the next fetch asks the box again
        db.execute(update(LightLease).values(renewed_at=utcnow() - timedelta(seconds=lease / 3 + 1)))
    assert world.client.get(url, headers=owner).status_code == 200
    assert len(commands.sent) == 2

    with world.services.db.session() as db:  # never archive
        assert db.scalar(select(func.count()).select_from(ArchiveSegment).where(ArchiveSegment.camera_id == CAM)) == 0

    with world.services.db.session() as db:  # long lapsed (past the grace): the box's uploads are refused
        db.execute(update(LightLease).values(until=utcnow() - timedelta(minutes=1)))
    assert _put(world, ts_segment, 2).status_code == 409


def test_no_command_channel_or_box_offline_is_503(world: World) -> None:
    _capable(world)
    owner = _bearer(world, "1001")
    url = f"/api/v1/cameras/{CAM}/light.m3u8"
    world.services.commands = None
    assert world.client.get(url, headers=owner).status_code == 503
    world.services.commands = Commands()
    with world.services.db.session() as db:
        from portal.models import Device

        db.get(Device, "box-1").state = "offline"
    answer = world.client.get(url, headers=owner)
    assert answer.status_code == 503 and "offline" in answer.text


def test_store_is_bounded_and_forgets_after_the_keep_window(world: World) -> None:
    now = utcnow()
    with world.services.db.session() as db:
        for seq in range(store.MAX_PER_CAMERA + 30):
            assert store.store_segment(db, CAM, RUN, seq, 1.0, b"ts%d" % seq, now) == "created"
    assert _rows(world) == store.MAX_PER_CAMERA
    with world.services.db.session() as db:
        assert [r.seq for r in store.newest(db, CAM, now - timedelta(seconds=60), 5)] == list(range(145, 150))
        old = store.store_segment(db, CAM, "20261202T070000Z-000000", 0, 1.0, b"old", now - timedelta(minutes=5))
        assert old == "created"
        assert store.prune(db, timedelta(seconds=60), now) == 1
        assert (
            store.prune(db, timedelta(seconds=60), now + timedelta(minutes=2)) == store.MAX_PER_CAMERA - 1
        )  # the bound made room
    assert _rows(world) == 0


def test_forpost_light_stream_one_plays_the_relay_zero_the_main_stream(world: World, ts_segment: bytes) -> None:
    world.services.commands = Commands()
    world.services.settings.light_first_wait = 0.0
    _capable(world)
    sid = world.login()
    number = world.number_of(sid, "Дача-двор")
    main = world.call("GetTranslationURL", SessionID=sid, CameraID=number, Format="HLS", LightStream=0)["URL"]
    light = world.call("GetTranslationURL", SessionID=sid, CameraID=number, Format="HLS")["URL"]  # LightStream=1
    with world.services.db.session() as db:
        from portal.light.lease import claim_renewal

        claim_renewal(db, CAM, utcnow(), 30)  # the box was asked a moment ago and is relaying
    assert _put(world, ts_segment, 0).status_code == 201
    light_playlist = world.client.get(light.replace("http://testserver", ""))
    assert light_playlist.status_code == 200
    assert [u.split("/")[0] for u in _uris(light_playlist.text)] == ["light"]
    segment = world.client.get(
        light.replace("http://testserver", "").replace("index.m3u8", _uris(light_playlist.text)[0])
    )
    assert segment.status_code == 200 and segment.content == ts_segment
    main_playlist = world.client.get(main.replace("http://testserver", ""))
    assert main_playlist.status_code == 200 and not any(u.startswith("light/") for u in _uris(main_playlist.text))

    _capable(world, light=False)  # a camera without a sub-stream: LightStream=1 falls back to the main stream
    other = world.call("GetTranslationURL", SessionID=sid, CameraID=number, Format="HLS")["URL"]
    fallback = world.client.get(other.replace("http://testserver", ""))
    assert fallback.status_code == 200 and not any(u.startswith("light/") for u in _uris(fallback.text))

    _capable(world)  # a relay that does not start in time: the main stream, and it stays main for this translation
    with world.services.db.session() as db:
        db.execute(delete(LightSegment))
    for url in (main, light, other):  # the account's stream limit: close the ones this test is done with
        world.client.post(url.replace("http://testserver", ""), data={"op": "stop"})
    late = world.call("GetTranslationURL", SessionID=sid, CameraID=number, Format="HLS")
    assert "URL" in late, late
    late = late["URL"]
    first = world.client.get(late.replace("http://testserver", ""))
    assert first.status_code == 200 and not any(u.startswith("light/") for u in _uris(first.text))
    assert _put(world, ts_segment, 1).status_code == 201  # the relay starts after all
    again = world.client.get(late.replace("http://testserver", ""))
    assert again.status_code == 200 and not any(u.startswith("light/") for u in _uris(again.text))


def test_camera_page_offers_the_light_choice_only_with_a_sub_stream(world: World) -> None:
    owner = _bearer(world, "1001")
    page = world.client.get(f"/cameras/{CAM}", headers=owner)
    assert page.status_code == 200 and "data-light-url" not in page.text and 'id="quality-btn"' not in page.text
    _capable(world)
    page = world.client.get(f"/cameras/{CAM}", headers=owner)
    assert page.status_code == 200
    assert f'data-light-url="/api/v1/cameras/{CAM}/light.m3u8"' in page.text and 'id="quality-btn"' in page.text


def test_viewers_waiting_for_a_relay_hold_no_worker_thread(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """More viewers wait for relays that are starting than the shared thread pool has threads (40): a sync
    endpoint still answers while every one of them waits (they wait on the event loop, not on a thread)."""
    world.services.commands = Commands()
    world.services.settings.light_first_wait = 4.0  # the relay never starts here: each viewer gets 503 after it
    _capable(world)
    owner = _bearer(world, "1001")
    finished: list[tuple[str, int]] = []
    lock = threading.Lock()
    renewed: list[str] = []  # one per viewer that renewed the lease: it waits for the relay next
    original = light_lease._renew

    def renew(services, camera_id: str) -> float:
        wait = original(services, camera_id)
        with lock:
            renewed.append(camera_id)
        return wait

    monkeypatch.setattr(light_lease, "_renew", renew)

    def viewer() -> None:
        status = world.client.get(f"/api/v1/cameras/{CAM}/light.m3u8", headers=owner).status_code
        with lock:
            finished.append(("viewer", status))

    viewers = [threading.Thread(target=viewer) for _ in range(45)]
    for thread in viewers:
        thread.start()
    wait_until(lambda: len(renewed) == len(viewers), 30, message="every viewer waiting for the relay")
    health = world.client.get("/healthz")
    with lock:
        finished.append(("healthz", health.status_code))
    for thread in viewers:
        thread.join(60)
    assert finished[0] == ("healthz", 200), "a sync endpoint had to wait for the light viewers' threads"
    assert sorted(set(finished[1:])) == [("viewer", 503)]
