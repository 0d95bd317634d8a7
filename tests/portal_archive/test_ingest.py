"""Segment ingest: status codes of the contract, checksums, idempotency, ownership; on both backends."""

import hashlib
import io
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from portal.archive import keys
from portal.archive.index import SegmentInfo
from portal.archive.storage import storage_of
from portal.ingest import service
from portal.ingest.body import ReceivedBody
from portal.models import ArchiveCamera, ArchiveSegment, ArchiveSpan, Camera
from tests.portal_archive.conftest import World, run_id

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
RUN = run_id(T0)


def _count(world: World, model) -> int:
    with world.services.db.session() as db:
        return db.scalar(select(func.count()).select_from(model))


def test_store_idempotent_and_conflicts(any_world: World) -> None:
    w = any_world
    assert w.put_init("cam1", RUN) == 201
    assert w.put_init("cam1", RUN) == 200
    assert w.put_segment("cam1", RUN, 0, T0) == 201
    assert w.put_segment("cam1", RUN, 0, T0) == 200
    assert w.put_segment("cam1", RUN, 0, T0, index=1) == 409  # same key, other bytes
    assert _count(w, ArchiveSegment) == 1
    with w.services.db.session() as db:
        seg = db.scalar(select(ArchiveSegment))
        assert seg.object_key.startswith(f"cam1/{T0:%Y-%m-%d}/{RUN}/00000000.")
        assert storage_of(w.services).read(seg.object_key) == w.media.segments[0]
        assert db.get(Camera, "cam1").state == "unknown"  # an hour-old segment says nothing about now
    assert w.put_segment("cam1", RUN, 1, datetime.now(UTC) - timedelta(seconds=7), index=1) == 201
    with w.services.db.session() as db:
        assert db.get(Camera, "cam1").state == "recording"
    cameras = w.client.get("/api/v1/cameras", headers=w.auth(w.alice)).json()
    assert cameras[0]["online"] is True and cameras[0]["address"] == "Шахтёров 30 п.1 — г.Новокузнецк, ул.Шахтёров 30"


def test_bad_requests_change_nothing(world: World) -> None:
    w = world
    assert w.put_init("cam1", RUN) == 201
    assert w.put_segment("cam1", RUN, 0, T0, **{"X-Content-SHA256": "0" * 64}) == 400
    response = w.client.put(
        f"/ingest/v1/cameras/cam1/runs/{RUN}/segments/0",
        content=w.media.segments[0],
        headers={
            **w.auth(w.upload_token),
            "Content-Type": "video/iso.segment",
            "X-Content-SHA256": w.media.sha(0),
            "X-Segment-Start": "yesterday",
            "X-Segment-Duration": "6",
        },
    )
    assert response.status_code == 400 and "X-Segment-Start" in response.json()["detail"]
    assert w.put_segment("cam1", RUN, 0, T0, **{"X-Segment-Duration": "-1"}) == 400
    assert w.put_segment("cam1", RUN, 0, T0, **{"Content-Type": "video/mp4"}) == 415
    assert w.put_segment("cam1", "not-a-run", 0, T0) == 400
    assert w.put_segment("cam1", RUN, 0, T0, token="wrong") == 401
    assert w.put_segment("cam2", RUN, 0, T0) == 403  # cam2 is box2's
    assert w.put_segment("nosuch", RUN, 0, T0) == 403
    assert w.put_segment("cam1", RUN, 0, T0, **{"Content-Length": str(65 * 1024 * 1024)}) in (400, 413)
    assert _count(w, ArchiveSegment) == 0
    assert list(storage_of(w.services).list("cam1/2")) == []


def test_segments_before_init_become_playable_when_init_arrives(world: World) -> None:
    w = world
    assert w.put_segment("cam1", RUN, 0, T0) == 201
    assert w.put_segment("cam1", RUN, 1, T0 + timedelta(seconds=6)) == 201
    assert _count(w, ArchiveSpan) == 0  # not playable yet
    q = {"from": (T0 - timedelta(minutes=1)).isoformat(), "to": (T0 + timedelta(minutes=1)).isoformat()}
    body = w.client.get("/api/v1/cameras/cam1/timeline", params=q, headers=w.auth(w.alice)).json()
    assert body["ranges"] == []
    assert w.put_init("cam1", RUN) == 201
    body = w.client.get("/api/v1/cameras/cam1/timeline", params=q, headers=w.auth(w.alice)).json()
    assert body["ranges"] == [
        {
            "start": T0.isoformat().replace("+00:00", ".000Z"),
            "end": (T0 + timedelta(seconds=12)).isoformat().replace("+00:00", ".000Z"),
        }
    ]


def test_gaps_and_holdings_validation(world: World) -> None:
    w = world
    url = "/ingest/v1/cameras/cam1/gaps"
    gap = {"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T00:01:00Z", "reason": "camera_unreachable"}
    assert w.client.post(url, json={"gaps": [gap]}, headers=w.auth(w.upload_token)).status_code == 200
    assert w.client.post(url, json={"gaps": [gap]}, headers=w.auth(w.upload_token)).status_code == 200
    bad = w.client.post(url, json={"gaps": [{**gap, "end": gap["start"]}]}, headers=w.auth(w.upload_token))
    assert bad.status_code == 422 and "gaps[0].end" in str(bad.json()["detail"])
    portal_reason = w.client.post(url, json={"gaps": [{**gap, "reason": "lost"}]}, headers=w.auth(w.upload_token))
    assert portal_reason.status_code == 422 and "gaps[0].reason" in str(portal_reason.json()["detail"])
    assert w.client.post(url, json={"gaps": [gap]}, headers=w.auth(w.other_upload_token)).status_code == 403
    holdings = {
        "ranges": [{"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T01:00:00Z"}],
        "reported_at": "2026-01-01T01:00:00Z",
    }
    assert w.client.put("/ingest/v1/cameras/cam1/holdings", json=holdings, headers=w.auth(w.upload_token)).json() == {
        "accepted": True
    }


def _spans(world: World) -> list[tuple[datetime, datetime]]:
    with world.services.db.session() as db:
        return [(s.start, s.end) for s in db.scalars(select(ArchiveSpan).order_by(ArchiveSpan.start))]


def test_spans_extend_merge_and_the_newest_segment_is_noted(any_world: World) -> None:
    """Ingest widens the one span a segment touches in one statement; a segment bridging two spans (out of order)
    or touching none goes the general way. The newest segment's times stay the newest whatever the order."""
    from portal.models import ArchiveCamera

    w = any_world
    assert w.put_init("cam1", RUN) == 201
    six = timedelta(seconds=6)
    durations = w.media.durations
    starts = [T0]
    for i in range(5):
        starts.append(starts[-1] + timedelta(seconds=durations[i % len(durations)]))
    ends = [s + timedelta(seconds=durations[i % len(durations)]) for i, s in enumerate(starts)]
    for seq in (0, 1, 3, 4):  # two stretches: [0, 2) and [3, 5)
        assert w.put_segment("cam1", RUN, seq, starts[seq], index=seq % len(durations)) == 201
    assert _spans(w) == [(starts[0], ends[1]), (starts[3], ends[4])]
    assert w.put_segment("cam1", RUN, 2, starts[2], index=2 % len(durations)) == 201  # bridges them
    assert _spans(w) == [(starts[0], ends[4])]
    assert w.put_segment("cam1", RUN, 2, starts[2], index=2 % len(durations)) == 200  # a retry changes nothing
    assert w.put_segment("cam1", RUN, 4, starts[4], index=0) == 409
    later = ends[4] + six * 10  # after an outage: a span of its own
    assert w.put_segment("cam1", RUN, 9, later, index=0) == 201
    assert _spans(w) == [(starts[0], ends[4]), (later, later + timedelta(seconds=durations[0]))]
    assert w.put_segment("cam1", RUN, 5, ends[4], index=5 % len(durations)) == 201  # older than the newest
    with w.services.db.session() as db:
        state = db.get(ArchiveCamera, "cam1")
        assert (state.last_segment_start, state.last_segment_end) == (later, later + timedelta(seconds=durations[0]))


def test_a_segment_indexed_meanwhile_keeps_nothing_of_the_second_upload(any_world: World) -> None:
    """Two uploads of one segment racing past the upload check: the second's index transaction finds the row,
    is rolled back whole (its newest-segment note too) and is answered "same" or "conflict" by checksum."""
    w = any_world
    assert w.put_init("cam1", RUN) == 201
    assert w.put_segment("cam1", RUN, 0, T0) == 201
    services = w.services
    storage = storage_of(services)

    def again(index: int, start: datetime) -> str:
        data = w.media.segments[index]
        sha = hashlib.sha256(data).hexdigest()
        info = SegmentInfo(
            camera_id="cam1",
            run_id=RUN,
            seq=0,
            start=start,
            duration=6.0,
            size=len(data),
            sha256=sha,
            clock_synced=True,
            object_key=keys.segment_key("cam1", RUN, 0, start, sha),
        )
        body = ReceivedBody(io.BytesIO(data), len(data), sha)
        return service.store_segment(services.db, storage, info, body, datetime.now(UTC))

    with services.db.session() as db:
        noted = db.get(ArchiveCamera, "cam1").last_segment_end
    assert again(0, T0) == "same"
    assert again(1, T0 + timedelta(minutes=30)) == "conflict"  # other bytes, and a later end than the noted one
    assert _count(w, ArchiveSegment) == 1
    with services.db.session() as db:
        assert db.get(ArchiveCamera, "cam1").last_segment_end == noted
