"""Timeline: recorded ranges and every gap typed (box reasons, not_uploaded_yet, lost, box_offline)."""

from datetime import UTC, datetime, timedelta

from portal.archive.timeline import timeline
from portal.models import Device
from tests.portal_archive.conftest import World, run_id

Z = "+00:00"


def _iso(t: datetime) -> str:
    return t.isoformat().replace(Z, "Z")


def _setup(w: World) -> tuple[datetime, datetime]:
    """Run A [t0, t0+60), box gap [t0+60, t0+120), run B [t0+120, t0+180), box holds [t0+180, t0+240)."""
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    w.upload_run("cam1", run_id(t0, "aaaaaa"), t0, 10)
    w.upload_run("cam1", run_id(t0 + timedelta(seconds=120), "bbbbbb"), t0 + timedelta(seconds=120), 10)
    auth = w.auth(w.upload_token)
    gap = {
        "start": _iso(t0 + timedelta(seconds=60)),
        "end": _iso(t0 + timedelta(seconds=120)),
        "reason": "camera_unreachable",
    }
    assert w.client.post("/ingest/v1/cameras/cam1/gaps", json={"gaps": [gap]}, headers=auth).status_code == 200
    holdings = {
        "ranges": [{"start": _iso(t0), "end": _iso(t0 + timedelta(seconds=240))}],
        "reported_at": _iso(t0 + timedelta(seconds=240)),
    }
    assert w.client.put("/ingest/v1/cameras/cam1/holdings", json=holdings, headers=auth).status_code == 200
    return t0, t0 + timedelta(seconds=300)


def test_typed_gaps(world: World) -> None:
    w = world
    t0, now = _setup(w)
    s = timedelta(seconds=1)
    with w.services.db.session() as db:
        result = timeline(db, "cam1", t0 - 60 * s, now, now=now)
        assert result.ranges == [(t0, t0 + 60 * s), (t0 + 120 * s, t0 + 180 * s)]
        assert [(g.start, g.end, g.reason) for g in result.gaps] == [
            # [t0-60, t0) is before anything known of the camera: no gap at all (test_timeline_starts_...)
            (t0 + 60 * s, t0 + 120 * s, "camera_unreachable"),
            # the box holds [t0+180, t0+240); after its report the box is online: in flight. Joined.
            (t0 + 180 * s, now, "not_uploaded_yet"),
        ]
        db.get(Device, "box1").state = "offline"
        db.flush()
        offline = timeline(db, "cam1", t0 - 60 * s, now, now=now).gaps
        assert [(g.start, g.reason) for g in offline[-2:]] == [
            (t0 + 180 * s, "not_uploaded_yet"),
            (t0 + 240 * s, "box_offline"),
        ]
        coarse = timeline(db, "cam1", t0, t0 + 180 * s, resolution=120, now=now)
        assert coarse.ranges == [(t0, t0 + 180 * s)] and coarse.gaps == []


def test_timeline_starts_at_the_first_known_video_and_keeps_genuine_losses(any_world: World) -> None:
    """A camera first recording at 08:56: the day's timeline has no gap 00:00-08:56 ("lost" was wrong there),
    while video recorded later and evicted at the box before upload is still "lost"."""
    w = any_world
    day = (datetime.now(UTC) - timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)
    a_start = day + timedelta(hours=8, minutes=56)
    a_end = w.upload_run("cam1", run_id(a_start, "aaaaaa"), a_start, 5)
    b_start = a_end + timedelta(minutes=5)  # [a_end, b_start): recorded, evicted at the box, never uploaded
    b_end = w.upload_run("cam1", run_id(b_start, "bbbbbb"), b_start, 5)
    auth = w.auth(w.upload_token)
    holdings = {
        "ranges": [{"start": _iso(b_start), "end": _iso(b_end)}],
        "reported_at": _iso(day + timedelta(days=1, hours=1)),
    }
    assert w.client.put("/ingest/v1/cameras/cam1/holdings", json=holdings, headers=auth).status_code == 200
    with w.services.db.session() as db:
        result = timeline(db, "cam1", day, day + timedelta(days=1))
        assert result.ranges == [(a_start, a_end), (b_start, b_end)]
        assert [(g.start, g.end, g.reason) for g in result.gaps] == [
            (a_end, b_start, "lost"),
            (b_end, day + timedelta(days=1), "lost"),
        ]
        # A camera with nothing known and created after the window: nothing to say about that day.
        assert timeline(db, "cam2", day, day + timedelta(days=1)).gaps == []
    # A reason the box gave before the first video is knowledge too: it is kept, and the timeline starts there.
    box_gap = {"start": _iso(day + timedelta(hours=8)), "end": _iso(a_start), "reason": "camera_unreachable"}
    assert w.client.post("/ingest/v1/cameras/cam1/gaps", json={"gaps": [box_gap]}, headers=auth).status_code == 200
    with w.services.db.session() as db:
        gaps = timeline(db, "cam1", day, day + timedelta(days=1)).gaps
        assert [(g.start, g.end, g.reason) for g in gaps][0] == (
            day + timedelta(hours=8),
            a_start,
            "camera_unreachable",
        )


def test_timeline_api_shape_and_errors(world: World) -> None:
    w = world
    t0, _ = _setup(w)
    params = {"from": _iso(t0), "to": _iso(t0 + timedelta(seconds=180))}
    body = w.client.get("/api/v1/cameras/cam1/timeline", params=params, headers=w.auth(w.alice)).json()
    assert body["ranges"][0] == {
        "start": _iso(t0).replace("Z", ".000Z"),
        "end": _iso(t0 + timedelta(seconds=60)).replace("Z", ".000Z"),
    }
    assert body["gaps"] == [
        {
            "start": _iso(t0 + timedelta(seconds=60)).replace("Z", ".000Z"),
            "end": _iso(t0 + timedelta(seconds=120)).replace("Z", ".000Z"),
            "reason": "camera_unreachable",
        }
    ]
    bad = w.client.get(
        "/api/v1/cameras/cam1/timeline", params={"from": "x", "to": params["to"]}, headers=w.auth(w.alice)
    )
    assert bad.status_code == 422 and "from" in bad.json()["detail"]
    backwards = w.client.get(
        "/api/v1/cameras/cam1/timeline", params={"from": params["to"], "to": params["from"]}, headers=w.auth(w.alice)
    )
    assert backwards.status_code == 422 and "to" in backwards.json()["detail"]
