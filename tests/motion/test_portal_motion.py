"""The portal's side of motion: the ingest's receipts and refusals, the events API's access and window, Forpost
GetEvents, notifications, retention. In-process portal over the Forpost test world (tests/forpost/conftest.py)."""

from __future__ import annotations

import base64
from datetime import timedelta

from sqlalchemy import select

from portal.auth.sessions import open_session
from portal.models import Contract, utcnow
from portal.models.motion import MotionEvent
from portal.models.notify import NotifyMessage, NotifySubscription
from portal.motion.retention import prune
from tests.forpost.conftest import DEVICE_TOKEN, World

JPEG = base64.b64encode(b"\xff\xd8\xff\xe0" + b"j" * 200).decode()
BOX = {"Authorization": f"Bearer {DEVICE_TOKEN}"}
ID = "3dde8dfb3e7947638ba31527b1dee414"


def _bearer(world: World, number: str) -> dict[str, str]:
    with world.services.db.session() as db:
        contract = db.scalar(select(Contract).where(Contract.number == number))
        return {"Authorization": f"Bearer {open_session(db, contract=contract, lifetime=timedelta(hours=1))[0]}"}


def _put(world: World, camera: str, motion_id: str, body: dict):
    return world.client.put(f"/ingest/v1/cameras/{camera}/motion/{motion_id}", json=body, headers=BOX)


def test_reports_receipts_api_forpost_and_one_notification(world: World) -> None:
    with world.services.db.session() as db:
        c1 = db.scalar(select(Contract.id).where(Contract.number == "1001"))
        db.add(NotifySubscription(contract_id=c1, category="motion", channels="email"))
    start = utcnow() - timedelta(seconds=30)
    first = {"start": start.isoformat(), "end": None, "peak_area": 4.2, "thumbnail_jpeg_base64": JPEG}
    answer = _put(world, "flat-1001", ID, first)
    assert answer.status_code == 201 and answer.json() == {"camera": "flat-1001", "motion_id": ID, "ended": False}
    assert _put(world, "flat-1001", ID, first).status_code == 200  # a retry: same row, no second notice
    end = start + timedelta(seconds=7)
    answer = _put(world, "flat-1001", ID, {"start": start.isoformat(), "end": end.isoformat(), "peak_area": 9.0})
    assert answer.status_code == 200 and answer.json()["ended"] is True
    later = {"start": (start + timedelta(seconds=20)).isoformat(), "end": None}
    assert _put(world, "flat-1001", "ab" * 8, later).status_code == 201  # within the 5-minute cooldown

    window = {"from": (start - timedelta(minutes=1)).isoformat(), "to": utcnow().isoformat(), "kind": "motion"}
    events = world.client.get("/api/v1/cameras/flat-1001/events", params=window, headers=_bearer(world, "1001"))
    assert events.status_code == 200, events.text
    listed = events.json()
    assert [(e["kind"], e["end"] is not None, e["peak_area"]) for e in listed] == [
        ("motion", True, 9.0),
        ("motion", False, 0.0),
    ]
    thumb = world.client.get(listed[0]["thumbnail_url"])
    assert thumb.status_code == 200 and thumb.content == base64.b64decode(JPEG)
    assert world.client.get(listed[1]["thumbnail_url"]).status_code == 404  # none sent for that one

    other = world.client.get("/api/v1/cameras/flat-1001/events", params=window, headers=_bearer(world, "1002"))
    assert other.status_code == 403
    too_long = {**window, "from": (start - timedelta(days=40)).isoformat()}
    answer = world.client.get("/api/v1/cameras/flat-1001/events", params=too_long, headers=_bearer(world, "1001"))
    assert answer.status_code == 422 and "to" in answer.text

    sid = world.login()
    number = world.number_of(sid, "Дача-двор")
    motion = [e for e in world.call("GetEvents", SessionID=sid, CameraID=number) if e["Type"] == "motion"]
    assert len(motion) == 2 and isinstance(motion[1]["EndTime"], int) and motion[0]["EndTime"] is None  # newest first
    assert all(isinstance(e["Time"], int) for e in motion)  # unix seconds, as the spec says

    with world.services.db.session() as db:
        notices = db.scalars(select(NotifyMessage).where(NotifyMessage.category == "motion")).all()
        assert [(n.channel, n.contract_id) for n in notices] == [("email", c1)]


def test_refusals_name_the_field_and_never_touch_other_boxes_cameras(world: World) -> None:
    start = utcnow()
    ok = {"start": start.isoformat()}
    assert _put(world, "flat-1002", ID, ok).status_code == 403  # box-2's camera
    no_token = world.client.put(f"/ingest/v1/cameras/flat-1001/motion/{ID}", json=ok)
    assert no_token.status_code == 401
    backwards = {"start": start.isoformat(), "end": (start - timedelta(seconds=1)).isoformat()}
    answer = _put(world, "flat-1001", ID, backwards)
    assert answer.status_code == 422 and "end" in answer.text
    answer = _put(world, "flat-1001", ID, {**ok, "thumbnail_jpeg_base64": base64.b64encode(b"GIF89a").decode()})
    assert answer.status_code == 422 and "thumbnail_jpeg_base64" in answer.text
    assert _put(world, "flat-1001", "not-hex!", ok).status_code == 422
    naive = _put(world, "flat-1001", ID, {"start": "2026-11-22T08:00:00"})
    assert naive.status_code == 422 and "start" in naive.text
    with world.services.db.session() as db:
        assert db.scalars(select(MotionEvent)).all() == []


def test_events_go_with_the_camera_retention(world: World) -> None:
    now = utcnow()
    old = {"start": (now - timedelta(days=8)).isoformat(), "end": (now - timedelta(days=8)).isoformat()}
    assert _put(world, "flat-1001", "aa" * 8, old).status_code == 201  # flat-1001 keeps 7 days
    assert _put(world, "garage-1001", "bb" * 8, old).status_code == 201  # garage-1001 keeps 30
    assert _put(world, "flat-1001", "cc" * 8, {"start": now.isoformat()}).status_code == 201
    assert prune(world.services.db, now) == 1
    with world.services.db.session() as db:
        left = sorted(db.scalars(select(MotionEvent.motion_id)).all())
    assert left == ["bb" * 8, "cc" * 8]
