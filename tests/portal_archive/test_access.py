"""Authorisation: nobody reaches another subscriber's camera, not by id, token, nor guessed segment URLs."""

import re
from datetime import UTC, datetime, timedelta

from portal.archive import signing
from tests.portal_archive.conftest import World, run_id


def _media_urls(w: World, token: str, camera: str) -> list[str]:
    playlist = w.client.get(f"/api/v1/cameras/{camera}/live.m3u8", headers=w.auth(token))
    assert playlist.status_code == 200, playlist.text
    return re.findall(r'(/api/v1/cameras/[^"\s]+)', playlist.text)


def test_other_subscribers_camera_is_forbidden(world: World) -> None:
    w = world
    now = datetime.now(UTC).replace(microsecond=0)
    w.upload_run("cam1", run_id(now - timedelta(seconds=30)), now - timedelta(seconds=30), 4)
    assert [c["id"] for c in w.client.get("/api/v1/cameras", headers=w.auth(w.alice)).json()] == ["cam1"]
    assert [c["id"] for c in w.client.get("/api/v1/cameras", headers=w.auth(w.bob)).json()] == ["cam2"]
    window = {"from": (now - timedelta(hours=1)).isoformat(), "to": now.isoformat()}
    calls = [
        ("/api/v1/cameras/cam1/timeline", window),
        ("/api/v1/cameras/cam1/live.m3u8", {}),
        ("/api/v1/cameras/cam1/archive.m3u8", {"start": window["from"], "end": window["to"]}),
        ("/api/v1/cameras/cam1/download", {"start": (now - timedelta(seconds=20)).isoformat(), "duration": 10}),
        ("/api/v1/cameras/cam1/snapshot.jpg", {}),
        ("/api/v1/cameras/cam1/stream", {}),
    ]
    for path, params in calls:
        assert w.client.get(path, params=params, headers=w.auth(w.bob)).status_code == 403, path
        assert w.client.get(path, params=params).status_code == 401, path
        assert w.client.get(path, params=params, headers=w.auth(w.alice)).status_code == 200, path
    # Bob replays Alice's segment URLs: without the token, with his own session, and with a forged token.
    for url in _media_urls(w, w.alice, "cam1"):
        bare = url.split("?")[0]
        assert w.client.get(url).status_code == 200  # the signed URL itself works without a cookie
        assert w.client.get(bare, headers=w.auth(w.bob)).status_code == 403
        assert w.client.get(bare).status_code == 401
        assert w.client.get(bare, params={"token": "9999999999.forged"}).status_code == 403


def test_tokens_are_bound_to_camera_and_expiry(world: World) -> None:
    w = world
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(seconds=30)
    w.upload_run("cam1", run_id(start), start, 4)
    assert (
        w.client.put(
            f"/ingest/v1/cameras/cam2/runs/{run_id(start)}/init",
            content=w.media.init,
            headers={**w.auth(w.other_upload_token), "Content-Type": "video/mp4"},
        ).status_code
        == 201
    )
    segment_urls = [u for u in _media_urls(w, w.alice, "cam1") if "/segments/" in u]
    secret = w.services.settings.secret_key
    alice, bob = w.session_id(w.alice), w.session_id(w.bob)
    cam1_token = signing.sign(secret, "cam1", alice)
    seg_id = re.search(r"/segments/(\d+)\.m4s", segment_urls[0]).group(1)
    # cam1's token does not open cam2, and cam1's segment id is not found under cam2 with cam2's token.
    assert w.client.get(f"/api/v1/cameras/cam2/segments/{seg_id}.m4s", params={"token": cam1_token}).status_code == 403
    cam2_token = signing.sign(secret, "cam2", bob)
    assert w.client.get(f"/api/v1/cameras/cam2/segments/{seg_id}.m4s", params={"token": cam2_token}).status_code == 404
    assert w.client.get(f"/api/v1/cameras/cam2/segments/{seg_id}.m4s", headers=w.auth(w.bob)).status_code == 404
    # Alice's session id signed into a cam2 token: she does not see cam2, so it opens nothing.
    assert (
        w.client.get(
            f"/api/v1/cameras/cam2/segments/{seg_id}.m4s", params={"token": signing.sign(secret, "cam2", alice)}
        ).status_code
        == 403
    )
    expired = signing.sign(secret, "cam1", alice, ttl=-10)
    assert w.client.get(f"/api/v1/cameras/cam1/segments/{seg_id}.m4s", params={"token": expired}).status_code == 403
    assert w.client.get(f"/api/v1/cameras/cam1/segments/{seg_id}.m4s", params={"token": cam1_token}).status_code == 200
