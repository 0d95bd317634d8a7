"""Every channel against a local server speaking the provider's wire format, through the one worker."""

import email
from email import policy as email_policy
from urllib.parse import parse_qs, urlparse

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from sqlalchemy import select

from portal.models import Contract
from portal.models.forpost import PushToken
from portal.models.notify import NotifyMessage
from portal.notify import outbox, subscriptions
from portal.notify.channels import SmsRuChannel, SmtpChannel
from portal.notify.push import ApnsChannel, FcmChannel, PushRouter
from portal.notify.worker import Worker, WorkerConfig
from tests.fixtures.notify_servers import ApnsServer, FcmServer, SmsRuServer, SmtpSink
from tests.notify.conftest import make_centre

APNS_TOKEN = "a" * 64
FCM_TOKEN = "fcm-token:APA91b-test"


def pem(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture
def servers():
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    smtp, sms = SmtpSink().start(), SmsRuServer().start()
    fcm = FcmServer(rsa_key.public_key()).start()
    apns = ApnsServer(ec_key.public_key(), "KEY123", "TEAM42", "ru.dozor.app").start()
    yield {"smtp": smtp, "sms": sms, "fcm": fcm, "apns": apns, "rsa": pem(rsa_key), "ec": pem(ec_key)}
    for server in (smtp, sms, fcm, apns):
        server.stop()


def channels(servers, api_id: str = SmsRuServer.API_ID) -> dict:
    fcm = FcmChannel(servers["fcm"].url, FcmServer.PROJECT, "svc@dozor-test.iam", servers["rsa"],
                     servers["fcm"].url + "/token")  # fmt: skip
    apns = ApnsChannel(servers["apns"].url, "KEY123", "TEAM42", servers["ec"], "ru.dozor.app")
    return {
        "email": SmtpChannel("127.0.0.1", servers["smtp"].port, "Дозор <noreply@dozor.local>"),
        "sms": SmsRuChannel(servers["sms"].url, api_id, "Dozor"),
        "push": PushRouter(fcm, apns),
    }


def add_tokens(db, contract_id: int) -> None:
    with db.session() as s:
        s.add(PushToken(contract_id=contract_id, device_uid="ios-1", device_token=APNS_TOKEN))
        s.add(PushToken(contract_id=contract_id, device_uid="android-1", device_token=FCM_TOKEN))


def test_camera_event_goes_out_by_email_sms_fcm_and_apns(tmp_path, servers) -> None:
    app, world = make_centre(tmp_path, public_url="https://dozor.example")
    db, settings = app.state.services.db, app.state.services.settings
    add_tokens(db, world.ids["a"])
    with db.session() as s:
        contract = s.get(Contract, world.ids["a"])
        subscriptions.update(s, contract.id, {"camera_offline": ["email", "sms", "push"]})
        link = "https://dozor.example/cameras/cam-a-private?t=20261201120000"
        deep = {"camid": "7", "archive": "20261201120000"}
        rows = outbox.notify(s, outbox.Policy.from_settings(settings), contract, "camera_offline",
                             "Камера «Парковка» не в сети", "Нет связи с 12:00", data=deep, link=link)  # fmt: skip
        assert sorted(r.channel for r in rows) == ["email", "push", "push", "sms"]
    totals = Worker(db, channels(servers)).drain()
    assert totals == {"sent": 4}

    # E-mail: headers, the cabinet link to the same moment, a one-click unsubscribe link that works.
    (mail_from, rcpt, raw) = servers["smtp"].messages[0]
    mail = email.message_from_bytes(raw, policy=email_policy.default)
    assert rcpt == ["a@mail.ru"] and "noreply@dozor.local" in mail_from
    assert str(mail["Subject"]) == "Камера «Парковка» не в сети"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsub = str(mail["List-Unsubscribe"]).strip("<>")
    body = mail.get_content()
    assert link in body and unsub in body
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        path = urlparse(unsub)
        assert client.get(f"{path.path}?{path.query}").status_code == 200  # a GET changes nothing
        with db.session() as s:
            assert "email" in subscriptions.channels_for(s, world.ids["a"], "camera_offline")
        done = client.post(f"{path.path}?{path.query}", data={"List-Unsubscribe": "One-Click"})
        assert done.status_code == 200
        with db.session() as s:
            assert subscriptions.channels_for(s, world.ids["a"], "camera_offline") == ["sms", "push"]
        forged = parse_qs(path.query) | {"sig": ["0" * 32]}
        bad = client.post("/notify/unsubscribe", params={k: v[0] for k, v in forged.items()})
        assert bad.status_code == 400

    # SMS.ru: the exact form fields.
    sms = servers["sms"].requests[0]
    assert sms["api_id"] == SmsRuServer.API_ID and sms["to"] == "79051234567" and sms["json"] == "1"
    assert sms["msg"].startswith("Дозор: Камера «Парковка» не в сети") and sms["from"] == "Dozor"

    # FCM v1: OAuth2 token obtained once with a signed assertion, message shape, deep link in data.
    (fcm,) = servers["fcm"].sent
    assert servers["fcm"].token_requests == 1
    assert fcm["token"] == FCM_TOKEN and fcm["notification"]["title"] == "Камера «Парковка» не в сети"
    assert fcm["data"] == deep

    # APNs over HTTP/2: verified ES256 provider token, topic, push type, the deep link next to aps.
    ((headers, payload),) = servers["apns"].sent
    assert headers["apns-topic"] == "ru.dozor.app" and headers["apns-push-type"] == "alert"
    assert payload["aps"]["alert"]["body"] == "Нет связи с 12:00" and payload["camid"] == "7"
    with db.session() as s:
        refs = {m.channel: m.reference for m in s.scalars(select(NotifyMessage))}
    assert refs["sms"] == "000000-1" and refs["email"].startswith("<")
    app.state.services.db.dispose()


def test_dead_push_tokens_are_removed(tmp_path, servers) -> None:
    app, world = make_centre(tmp_path)
    db, settings = app.state.services.db, app.state.services.settings
    add_tokens(db, world.ids["a"])
    servers["fcm"].dead.add(FCM_TOKEN)
    servers["apns"].dead.add(APNS_TOKEN)
    with db.session() as s:
        outbox.notify(
            s, outbox.Policy.from_settings(settings), s.get(Contract, world.ids["a"]), "door", "Дверь", "Открыта"
        )
    assert Worker(db, channels(servers)).drain() == {"failed": 2}
    with db.session() as s:
        errors = sorted(m.error for m in s.scalars(select(NotifyMessage)))
        assert s.scalars(select(PushToken)).all() == []
    assert errors[0].startswith("APNs 410: Unregistered") and "UNREGISTERED" in errors[1]
    app.state.services.db.dispose()


def test_provider_error_is_retried_with_backoff_then_recorded(tmp_path, servers) -> None:
    from datetime import timedelta

    from portal.models import utcnow

    app, world = make_centre(tmp_path)
    db = app.state.services.db
    servers["sms"].answers.extend([220, 220, 220])  # «сервис временно недоступен», three times
    with db.session() as s:
        outbox.enqueue(s, "sms", "+79051234567", "Код 4711", secret="4711")
        s.flush()
        message_id = s.scalar(select(NotifyMessage.id))
    worker = Worker(db, channels(servers), WorkerConfig(max_attempts=3, backoff=timedelta(seconds=30)))
    now = utcnow()
    assert worker.run_once(now) == {"queued": 1}
    with db.session() as s:
        row = s.get(NotifyMessage, message_id)
        assert row.attempts == 1 and row.next_attempt_at == now + timedelta(seconds=30) and "220" in row.error
        assert row.text == "Код ••••••" and row.body == "Код 4711"
    assert worker.run_once(now + timedelta(seconds=10)) == {}  # not due yet
    assert worker.run_once(now + timedelta(seconds=31)) == {"queued": 1}
    with db.session() as s:
        assert s.get(NotifyMessage, message_id).next_attempt_at == now + timedelta(seconds=31 + 60)
    assert worker.run_once(now + timedelta(seconds=200)) == {"failed": 1}
    with db.session() as s:
        row = s.get(NotifyMessage, message_id)
        assert row.status == "failed" and row.error.startswith("after 3 attempts: SMS.ru 220") and row.body is None
    assert [r["msg"] for r in servers["sms"].requests] == ["Код 4711"] * 3  # the provider got the real code
    # A permanent refusal (a wrong api_id) is recorded at once with the provider's reason.
    with db.session() as s:
        outbox.enqueue(s, "sms", "+79051234567", "Привет")
    assert Worker(db, channels(servers, api_id="wrong")).run_once() == {"failed": 1}
    with db.session() as s:
        assert s.scalars(select(NotifyMessage.error).order_by(NotifyMessage.id.desc())).first() == (
            "SMS.ru 200: Неправильный api_id"
        )
    app.state.services.db.dispose()


def test_smtp_down_is_transient(tmp_path) -> None:
    app, world = make_centre(tmp_path)
    db = app.state.services.db
    with db.session() as s:
        outbox.enqueue(s, "email", "a@mail.ru", "x", subject="s")
    from tests.fixtures.ports import free_port

    worker = Worker(db, {"email": SmtpChannel("127.0.0.1", free_port(), "noreply@dozor.local")})
    assert worker.run_once() == {"queued": 1}
    with db.session() as s:
        assert "SMTP unreachable" in s.scalar(select(NotifyMessage.error))
    app.state.services.db.dispose()


def test_smtp_connection_is_kept_for_a_pass_and_reopened_when_dropped(tmp_path) -> None:
    sink = SmtpSink().start()
    app, _ = make_centre(tmp_path)
    db = app.state.services.db
    try:
        with db.session() as s:
            for i in range(4):
                outbox.enqueue(s, "email", f"u{i}@mail.ru", "x", subject=f"s{i}")
        channel = SmtpChannel("127.0.0.1", sink.port, "noreply@dozor.local")
        assert Worker(db, {"email": channel}).run_once() == {"sent": 4}
        assert len(sink.messages) == 4 and len(set(sink.peers)) == 1  # one connection for the whole pass
        assert channel._smtp is None  # closed at the end of the pass
        with db.session() as s:
            one = s.scalars(select(NotifyMessage)).first()
            s.expunge(one)
        channel.send(one)
        sink.stop()  # the server goes away under the kept connection, and comes back
        sink = SmtpSink(port=sink.port).start()
        assert channel.send(one).startswith("<")  # the stale connection is reopened for this message
        assert len(sink.messages) == 1
    finally:
        sink.stop()
        db.dispose()


def test_push_with_a_wrong_key_is_refused_by_both_providers(tmp_path, servers) -> None:
    """The local servers really check the signatures: a key that is not the registered one is refused."""
    app, world = make_centre(tmp_path)
    db, settings = app.state.services.db, app.state.services.settings
    add_tokens(db, world.ids["a"])
    stranger_rsa = pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    stranger_ec = pem(ec.generate_private_key(ec.SECP256R1()))
    fcm = FcmChannel(servers["fcm"].url, FcmServer.PROJECT, "svc@x", stranger_rsa, servers["fcm"].url + "/token")
    apns = ApnsChannel(servers["apns"].url, "KEY123", "TEAM42", stranger_ec, "ru.dozor.app")
    with db.session() as s:
        outbox.notify(s, outbox.Policy.from_settings(settings), s.get(Contract, world.ids["a"]), "door", "Дверь", "x")
    worker = Worker(db, {"push": PushRouter(fcm, apns)}, WorkerConfig(max_attempts=1))
    assert worker.run_once() == {"failed": 2}
    with db.session() as s:
        errors = sorted(m.error for m in s.scalars(select(NotifyMessage)))
        assert len(s.scalars(select(PushToken)).all()) == 2  # refused auth is not a dead token
    assert errors[0].startswith("APNs 403: InvalidProviderToken") and "invalid_grant" in errors[1]
    assert servers["fcm"].sent == [] and servers["apns"].sent == []
