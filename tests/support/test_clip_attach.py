"""«Attach a clip from my archive»: camera + time range cut by the archive's clip builder into an attachment."""

from datetime import UTC, datetime, timedelta

from cloud_sync.segments import format_time
from portal.support.files import sniff
from tests.portal_archive.conftest import media, run_id, world  # noqa: F401 - the archive's fixtures
from tests.support.conftest import form


def test_a_clip_of_the_subscriber_s_camera_becomes_an_attachment(world) -> None:  # noqa: F811
    w = world
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    w.upload_run("cam1", run_id(t0), t0, 20)
    data = form() | {"clip_camera": "cam1", "clip_start": format_time(t0 + timedelta(seconds=2)), "clip_duration": "10"}
    r = w.client.post("/api/v1/support/tickets", data=data, headers=w.auth(w.alice))
    assert r.status_code == 201, r.text
    detail = w.client.get(f"/api/v1/support/tickets/{r.json()['id']}", headers=w.auth(w.alice)).json()
    [clip] = detail["messages"][0]["attachments"]
    assert clip["content_type"] == "video/mp4" and clip["filename"].endswith(".mp4")
    body = w.client.get(clip["url"], headers=w.auth(w.alice))
    assert body.status_code == 200 and sniff(body.content) == "isobmff" and len(body.content) == clip["size"]


def test_a_clip_of_someone_else_s_camera_or_an_empty_range_is_refused(world) -> None:  # noqa: F811
    w = world
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    w.upload_run("cam1", run_id(t0), t0, 5)
    bob = w.client.post(
        "/api/v1/support/tickets",
        data=form() | {"clip_camera": "cam1", "clip_start": format_time(t0), "clip_duration": "10"},
        headers=w.auth(w.bob),
    )
    assert bob.status_code == 422 and bob.json()["detail"][0]["loc"][-1] == "clip_camera"
    empty = w.client.post(
        "/api/v1/support/tickets",
        data=form()
        | {"clip_camera": "cam1", "clip_start": format_time(t0 - timedelta(minutes=30)), "clip_duration": "10"},
        headers=w.auth(w.alice),
    )
    assert empty.status_code == 422 and empty.json()["detail"][0]["loc"][-1] == "clip_start"
    bad = w.client.post(
        "/api/v1/support/tickets", data=form() | {"clip_camera": "cam1", "clip_start": "noon"}, headers=w.auth(w.alice)
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "clip_start"
    assert w.client.get("/api/v1/support/tickets", headers=w.auth(w.alice)).json()["tickets"] == []
