"""The tariff sets the depth on every surface; a debt past the grace period suspends every surface while the
box keeps recording; a payment restores access at once."""

from datetime import UTC, datetime, timedelta

from cloud_sync.segments import format_time
from portal.billing import ledger, retention
from portal.models import Camera, ContractBilling, Tariff
from tests.billing.conftest import PASSWORD, Neighbours
from tests.portal_archive.conftest import run_id


def _upload_old_and_new(n: Neighbours) -> tuple[datetime, datetime]:
    now = datetime.now(UTC).replace(microsecond=0)
    old = now - timedelta(days=20)
    recent = now - timedelta(seconds=90)
    n.w.upload_run("cam1", run_id(old), old, 3)
    n.w.upload_run("cam1", run_id(recent, "d4e5f6"), recent, 3)
    return old, recent


def _forpost_login(n: Neighbours, number: str) -> str:
    answer = n.client.post("/api/Login", data={"Login": number, "Password": PASSWORD}).json()
    return answer["SessionID"]


def test_shared_camera_kept_at_largest_depth(neighbours: Neighbours) -> None:
    n = neighbours
    with n.db.session() as db:
        assert db.get(Camera, "cam1").retention_days == 30  # Carol's 30-day tariff wins
        assert db.get(Camera, "cam2").retention_days == 14  # Bob has no tariff: provisioning's depth stays
        # Carol moves down to 7 days: the camera shrinks only once her switch takes effect
        db.get(ContractBilling, n.carol_id).pending_tariff_id = n.t7
        assert retention.refresh(db) == {}
        account = db.get(ContractBilling, n.carol_id)
        account.tariff_id, account.pending_tariff_id = n.t7, None
        assert retention.refresh(db) == {"cam1": 7}


def test_neighbours_see_their_tariffs_depth(neighbours: Neighbours) -> None:
    n = neighbours
    old, recent = _upload_old_and_new(n)
    alice, carol = n.w.auth(n.w.alice), n.w.auth(n.carol)
    # GET /api/v1/cameras: retention_days is the caller's depth
    assert [c["retention_days"] for c in n.client.get("/api/v1/cameras", headers=alice).json()] == [7]
    assert [c["retention_days"] for c in n.client.get("/api/v1/cameras", headers=carol).json()] == [30]
    # Timeline over 25 days: Carol sees the 20-day-old run, Alice does not
    window = {"from": format_time(old - timedelta(days=5)), "to": format_time(recent + timedelta(minutes=5))}
    seen_a = n.client.get("/api/v1/cameras/cam1/timeline", params=window, headers=alice).json()["ranges"]
    seen_c = n.client.get("/api/v1/cameras/cam1/timeline", params=window, headers=carol).json()["ranges"]
    assert len(seen_c) == 2 and len(seen_a) == 1
    assert seen_a[0]["start"] >= format_time(recent - timedelta(seconds=1))
    # Download of the old run: refused for Alice (past her depth), served for Carol
    params = {"start": format_time(old), "duration": 12}
    refused = n.client.get("/api/v1/cameras/cam1/download", params=params, headers=alice)
    assert refused.status_code == 400 and "start" in refused.json()["detail"] and "7 days" in refused.json()["detail"]
    served = n.client.get("/api/v1/cameras/cam1/download", params=params, headers=carol)
    assert served.status_code == 200 and served.content[4:8] == b"ftyp"
    # Archive HLS: Alice's window past her depth is refused; Carol's playlist lists the old segments
    hls = {"start": format_time(old), "end": format_time(old + timedelta(seconds=12))}
    assert n.client.get("/api/v1/cameras/cam1/archive.m3u8", params=hls, headers=alice).status_code == 403
    playlist = n.client.get("/api/v1/cameras/cam1/archive.m3u8", params=hls, headers=carol)
    assert playlist.status_code == 200
    segment_url = next(line for line in playlist.text.splitlines() if ".m4s" in line)
    assert n.client.get(segment_url).status_code == 200  # Carol's token, Carol's depth
    # The same old segment through a token of Alice's (from her live stream URLs): past her depth
    alice_token = n.client.get("/api/v1/cameras/cam1/stream", headers=alice).json()["token"]
    old_segment = segment_url.split("?")[0]
    assert n.client.get(old_segment, params={"token": alice_token}).status_code == 403
    # Forpost: Quota is each one's depth in seconds; an archive translation past Alice's depth is refused
    for number, days in (("100001", 7), ("100003", 30)):
        sid = _forpost_login(n, number)
        cameras = n.client.post("/api/GetCameras", data={"SessionID": sid}).json()
        assert [c["Quota"] for c in cameras] == [days * 86400]
        ts = int(old.timestamp())
        answer = n.client.post(
            "/api/GetTranslationURL",
            data={"SessionID": sid, "CameraID": cameras[0]["CameraID"], "Format": "HLS", "TS": ts},
        ).json()
        if days == 7:
            assert "ErrorCode" in answer and "7 дн" in answer["Error"], answer
        else:
            assert "URL" in answer, answer


def _go_negative(n: Neighbours, *, since_days: int) -> None:
    with n.db.session() as db:
        ledger.post(db, n.carol_id, "adjustment", -150000, key="debt", description="Долг", actor="op")
        db.get(ContractBilling, n.carol_id).negative_since = datetime.now(UTC) - timedelta(days=since_days)


def test_grace_period_then_suspension_everywhere_then_payment_restores(neighbours: Neighbours) -> None:
    n = neighbours
    _old, recent = _upload_old_and_new(n)
    carol = n.w.auth(n.carol)
    stream = n.client.get("/api/v1/cameras/cam1/stream", headers=carol).json()  # a token taken before the debt
    sid = _forpost_login(n, "100003")
    _go_negative(n, since_days=1)  # within the 3-day grace period: still served
    assert n.client.get("/api/v1/cameras", headers=carol).status_code == 200
    assert n.client.get("/api/v1/billing/account", headers=carol).json()["status"] == "active"
    with n.db.session() as db:
        db.get(ContractBilling, n.carol_id).negative_since = datetime.now(UTC) - timedelta(days=4)

    def refused(response, status=402) -> str:
        assert response.status_code == status, response.text
        return response.json()["detail"]

    message = refused(n.client.get("/api/v1/cameras", headers=carol))
    assert "приостановлен" in message and "Пополните" in message
    window = {"from": format_time(recent - timedelta(minutes=5)), "to": format_time(recent + timedelta(minutes=5))}
    refused(n.client.get("/api/v1/cameras/cam1/timeline", params=window, headers=carol))
    refused(n.client.get("/api/v1/cameras/cam1/live.m3u8", headers=carol))
    refused(n.client.get(stream["live"]))  # the media token names Carol: it follows her billing too
    refused(
        n.client.get(
            "/api/v1/cameras/cam1/download", params={"start": format_time(recent), "duration": 6}, headers=carol
        )
    )
    page = n.client.get("/cameras", headers={**carol, "Accept": "text/html"})
    assert page.status_code == 402 and "Просмотр видео приостановлен" in page.text and "/billing/topup" in page.text
    forpost = n.client.post("/api/GetCameras", data={"SessionID": sid}).json()
    assert forpost["ErrorCode"] == 1 and "приостановлен" in forpost["Error"]
    account = n.client.get("/api/v1/billing/account", headers=carol).json()
    assert account["status"] == "suspended" and account["balance"] == "-500.00"
    # Alice (same camera) is unaffected, and the box still uploads: recording never stops
    assert n.client.get("/api/v1/cameras", headers=n.w.auth(n.w.alice)).status_code == 200
    later = recent + timedelta(seconds=sum(n.w.media.durations[:3]))
    assert n.w.put_segment("cam1", run_id(recent, "d4e5f6"), 3, later, index=3) == 201
    # A payment restores access at once
    with n.db.session() as db:
        ledger.post(db, n.carol_id, "payment", 60000, key="pay:restore", description="Оплата")
    assert n.client.get("/api/v1/cameras", headers=carol).status_code == 200
    assert n.client.get(stream["live"]).status_code == 200
    assert isinstance(n.client.post("/api/GetCameras", data={"SessionID": sid}).json(), list)
    assert n.client.get("/api/v1/billing/account", headers=carol).json()["status"] == "active"


def test_tariff_depth_lives_in_one_function(neighbours: Neighbours) -> None:
    """Changing the tariff's depth changes what the subscriber sees at once (no copy kept elsewhere)."""
    n = neighbours
    with n.db.session() as db:
        db.get(Tariff, n.t7).archive_days = 14
        retention.refresh(db)
    assert n.client.get("/api/v1/cameras", headers=n.w.auth(n.w.alice)).json()[0]["retention_days"] == 14
