"""Live and archive HLS playlists, snapshots, and on-demand fetch of what only the box holds."""

import io
import re
from datetime import UTC, datetime, timedelta

import av

from tests.portal_archive.conftest import World, run_id


def test_live_playlist_serves_newest_segments(world: World) -> None:
    w = world
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=36)
    w.upload_run("cam1", run_id(start), start, 6)
    text = w.client.get("/api/v1/cameras/cam1/live.m3u8", headers=w.auth(w.alice)).text
    assert text.startswith("#EXTM3U") and "#EXT-X-MAP:URI=" in text and "#EXT-X-ENDLIST" not in text
    segments = re.findall(r"^(/api/v1/cameras/cam1/segments/\d+\.m4s\?token=\S+)$", text, re.M)
    assert len(segments) == 4
    init = re.search(r'#EXT-X-MAP:URI="([^"]+)"', text).group(1)
    assert w.client.get(init).content == w.media.init
    assert w.client.get(segments[-1]).content == w.media.segments[5]  # the newest one
    media_sequence = int(re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", text).group(1))
    assert media_sequence == int(start.timestamp()) + 2


def test_archive_playlist_marks_run_changes(world: World) -> None:
    w = world
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    end_a = w.upload_run("cam1", run_id(t0, "aaaaaa"), t0, 3)
    t1 = end_a + timedelta(minutes=2)
    w.upload_run("cam1", run_id(t1, "bbbbbb"), t1, 3)
    params = {"start": (t0 + timedelta(seconds=7)).isoformat(), "end": (t1 + timedelta(seconds=30)).isoformat()}
    text = w.client.get("/api/v1/cameras/cam1/archive.m3u8", params=params, headers=w.auth(w.alice)).text
    assert text.count("#EXT-X-MAP") == 2 and text.count("#EXT-X-DISCONTINUITY\n") == 1
    assert "#EXT-X-START:TIME-OFFSET=1.000" in text  # 7 s is 1 s into segment 1
    assert text.rstrip().endswith("#EXT-X-ENDLIST")
    assert text.count("#EXTINF") == 5  # segment 0 ends at 6 s < start + 7 s: only 1, 2 of run A; all of B


def test_snapshot_is_a_jpeg_of_the_moment(world: World) -> None:
    w = world
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    w.upload_run("cam1", run_id(t0), t0, 3)
    for params in ({}, {"at": (t0 + timedelta(seconds=8.5)).isoformat()}):
        response = w.client.get("/api/v1/cameras/cam1/snapshot.jpg", params=params, headers=w.auth(w.alice))
        assert response.status_code == 200 and response.content[:2] == b"\xff\xd8"
        with av.open(io.BytesIO(response.content)) as image:
            frame = next(image.decode(video=0))
            assert (frame.width, frame.height) == (160, 120)
    missing = w.client.get(
        "/api/v1/cameras/cam1/snapshot.jpg",
        params={"at": (t0 - timedelta(hours=1)).isoformat()},
        headers=w.auth(w.alice),
    )
    assert missing.status_code == 404


class RecordingSender:
    """Stands in for the MQTT command link (tested by the fleet suite): records what would be published."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict]] = []

    def send(
        self, device_id: str, name: str, args: dict, timeout: float | None = None, sent_by: str = ""
    ) -> dict | None:
        assert sent_by == "archive", sent_by
        self.sent.append((device_id, name, args))
        return None


def test_on_demand_fetch_of_what_the_box_holds(world: World) -> None:
    w = world
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    run = run_id(t0)
    w.upload_run("cam1", run, t0, 2)  # the box uploaded 12 s, holds 60 s
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    holdings = {
        "ranges": [{"start": f"{t0:{fmt}}", "end": f"{t0 + timedelta(seconds=60):{fmt}}"}],
        "reported_at": f"{datetime.now(UTC):{fmt}}",
    }
    w.client.put("/ingest/v1/cameras/cam1/holdings", json=holdings, headers=w.auth(w.upload_token))
    params = {"start": t0.isoformat(), "duration": 60}
    no_link = w.client.get("/api/v1/cameras/cam1/download", params=params, headers=w.auth(w.alice))
    assert no_link.status_code == 409 and "upload was not requested" in no_link.json()["detail"]
    sender = w.services.commands = RecordingSender()
    for _ in range(2):  # asked once, however many times the subscriber retries
        fetching = w.client.get("/api/v1/cameras/cam1/download", params=params, headers=w.auth(w.alice))
        assert fetching.status_code == 202 and fetching.json()["status"] == "fetching"
    assert len(sender.sent) == 1
    device, name, args = sender.sent[0]
    assert (device, name, args["camera_id"], args["priority"]) == ("box1", "upload.range", "cam1", 100)
    window = {"from": t0.isoformat(), "to": (t0 + timedelta(seconds=60)).isoformat()}
    timeline = w.client.get("/api/v1/cameras/cam1/timeline", params=window, headers=w.auth(w.alice)).json()
    assert timeline["fetching"] and timeline["gaps"][0]["reason"] == "not_uploaded_yet"
    for seq in range(2, 10):  # the box answers the request
        assert w.put_segment("cam1", run, seq, t0 + timedelta(seconds=6 * seq)) == 201
    done = w.client.get("/api/v1/cameras/cam1/download", params=params, headers=w.auth(w.alice))
    assert done.status_code == 200 and done.headers["content-type"] == "video/mp4"
