"""Access hardening (issue 11) against a real portal under uvicorn: a transparent (IP-only) session cannot take
the account over and is offered the password step-up; codes never sit readable in the SMS outbox; recovery is
rate-limited and answers unknown contracts like closed ones; cookie-authenticated operator API calls need the
CSRF token; every request body is capped and large uploads are parsed only after the credentials."""

import re
from contextlib import closing
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient
from sqlalchemy import select

from portal.auth.sessions import AUTH_IP, Principal, token_hash
from portal.body_limit import CSV_MAX_BODY, DEFAULT_MAX_BODY
from portal.cabinet import recovery
from portal.cabinet.contracts import find_contract, phones_of
from portal.cabinet.errors import FieldError
from portal.deps import PasswordSubscriber, password_subscriber
from portal.models import ContactConfirmation, LoginSession, RecoveryRequest, utcnow
from portal.models.notify import NotifyMessage
from portal.notify import codes
from portal.notify.channels import LocalOutbox, Permanent
from portal.notify.codes import SECRET_TTL, purge_codes
from portal.notify.worker import Worker
from tests.cabinet.world import OPERATOR_PASSWORD, PASSWORD


def csrf_of(page: httpx.Response) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def transparent_client(portal) -> httpx.Client:
    """A browser on contract A's home network, logged in by address only."""
    client = httpx.Client(base_url=portal.url, headers={"x-forwarded-for": portal.world.bound_ip})
    assert client.get("/login", follow_redirects=False).status_code == 303
    return client


def session_row(portal, client: httpx.Client) -> LoginSession:
    with portal.db.session() as s:
        row = s.scalar(
            select(LoginSession).where(LoginSession.token_hash == token_hash(client.cookies["dozor_session"]))
        )
        s.expunge(row)
        return row


def test_transparent_session_cannot_change_contacts_until_the_password_is_entered(portal) -> None:
    new_phone = "+79130000001"
    with closing(transparent_client(portal)) as client:
        transparent = session_row(portal, client)
        assert (transparent.kind, transparent.auth) == ("transparent", "ip")
        page = client.get("/account/contacts")
        assert page.status_code == 200 and 'id="needs-password"' in page.text
        token = csrf_of(page)
        refused = client.post(
            "/account/contacts/add",
            data={"csrf": token, "kind": "phone", "value": new_phone},
            headers={"referer": f"{portal.url}/account/contacts"},
            follow_redirects=False,
        )
        assert refused.status_code == 303
        assert refused.headers["location"] == "/login/confirm?next=/account/contacts"
        with portal.db.session() as s:  # nothing was sent or stored for the stranger's phone
            assert s.scalar(select(ContactConfirmation).where(ContactConfirmation.value == new_phone)) is None
            assert s.scalar(select(NotifyMessage).where(NotifyMessage.recipient == new_phone)) is None
        step_up = client.get(refused.headers["location"])
        assert step_up.status_code == 200 and "Нужен пароль" in step_up.text and 'href="/recover"' in step_up.text
        wrong = client.post(
            "/login/confirm", data={"csrf": token, "password": "Nepravilno1", "next": "/account/contacts"}
        )
        assert wrong.status_code == 401 and "Неверный номер договора или пароль" in wrong.text
        ok = client.post(
            "/login/confirm",
            data={"csrf": token, "password": PASSWORD, "next": "/account/contacts"},
            follow_redirects=False,
        )
        assert ok.status_code == 303 and ok.headers["location"] == "/account/contacts"
        stepped = session_row(portal, client)
        assert (stepped.auth, stepped.kind) == ("password", "web") and stepped.id != transparent.id
        with portal.db.session() as s:
            assert s.get(LoginSession, transparent.id).revoked
        added = client.post("/account/contacts/add", data={"csrf": token, "kind": "phone", "value": new_phone})
        assert added.status_code == 200 and "Код подтверждения отправлен" in added.text
        assert 'id="needs-password"' not in client.get("/account/contacts").text


def test_transparent_session_steps_up_with_a_code_to_a_bound_phone(portal) -> None:
    with closing(transparent_client(portal)) as client:
        transparent = session_row(portal, client)
        page = client.get("/login/confirm?next=/account/contacts")
        token = csrf_of(page)
        assert 'id="step-up-sms"' in page.text and "+7 913 ***-**-21" in page.text  # masked bound phones only
        with portal.db.session() as s:
            phone = next(p for p in phones_of(s, portal.world.ids["a"]) if p.phone == portal.world.phone_a2)
        sent = client.post(
            "/login/confirm/sms", data={"csrf": token, "phone": str(phone.id), "next": "/account/contacts"}
        )
        assert sent.status_code == 200 and 'id="step-up-code"' in sent.text
        with portal.db.session() as s:
            row = s.scalars(
                select(NotifyMessage).where(NotifyMessage.recipient == phone.phone).order_by(NotifyMessage.id.desc())
            ).first()
            assert row.category == "step_up" and row.urgent and "••••••" in row.text
            code = re.search(r"\b\d{6}\b", row.body.split(":")[-1]).group(0)
        bad = client.post("/login/confirm/code", data={"csrf": token, "code": f"{(int(code) + 1) % 10**6:06d}"})
        assert bad.status_code == 400 and "неверный код" in bad.text
        ok = client.post(
            "/login/confirm/code",
            data={"csrf": token, "code": code, "next": "/account/contacts"},
            follow_redirects=False,
        )
        assert ok.status_code == 303 and ok.headers["location"] == "/account/contacts"
        stepped = session_row(portal, client)
        assert stepped.auth == "code" and stepped.id != transparent.id
        with portal.db.session() as s:
            assert s.get(LoginSession, transparent.id).revoked
        assert 'id="needs-password"' not in client.get("/account/contacts").text
        # The step-up flow is closed: it can never be used to set a password.
        with portal.db.session() as s:
            flow = s.scalars(
                select(RecoveryRequest)
                .where(RecoveryRequest.contract_id == portal.world.ids["a"])
                .order_by(RecoveryRequest.id.desc())
            ).first()
            assert flow.verified_at is not None and flow.completed_at is not None


def test_transparent_session_cannot_remove_a_phone(portal) -> None:
    with closing(transparent_client(portal)) as client:
        token = csrf_of(client.get("/account/contacts"))
        with portal.db.session() as s:
            phone_id = phones_of(s, portal.world.ids["a"])[-1].id
        refused = client.post(
            f"/account/contacts/phones/{phone_id}/delete", data={"csrf": token}, follow_redirects=False
        )
        assert refused.status_code == 303 and refused.headers["location"].startswith("/login/confirm")
    with portal.db.session() as s:
        assert phone_id in [p.id for p in phones_of(s, portal.world.ids["a"])]


def test_password_subscriber_guard_on_a_json_route(portal) -> None:
    """How billing uses the guard: `who: PasswordSubscriber` on a paying route; an IP-only session gets 403."""
    app = FastAPI()
    app.state.services = portal.app.state.services

    @app.post("/pay")
    def pay(who: PasswordSubscriber) -> dict[str, int]:
        return {"contract": who.contract_id}

    with closing(transparent_client(portal)) as browser:
        ip_token = browser.cookies["dozor_session"]
    password_token = httpx.post(
        f"{portal.url}/api/v1/auth/login", json={"contract": portal.world.contract_a, "password": PASSWORD}
    ).json()["token"]
    with TestClient(app) as client:
        refused = client.post("/pay", headers={"authorization": f"Bearer {ip_token}"})
        assert refused.status_code == 403 and "contract password" in refused.json()["detail"]
        ok = client.post("/pay", headers={"authorization": f"Bearer {password_token}"})
        assert ok.status_code == 200 and ok.json() == {"contract": portal.world.ids["a"]}
        assert client.post("/pay").status_code == 401


def test_password_subscriber_guard_refuses_ip_sessions() -> None:
    with pytest.raises(HTTPException) as refused:
        password_subscriber(Principal(session_id=1, contract_id=7, auth=AUTH_IP))
    assert refused.value.status_code == 403 and "password" in refused.value.detail
    who = Principal(session_id=2, contract_id=7)
    assert password_subscriber(who) is who


def test_codes_are_masked_in_the_outbox_and_the_console(portal) -> None:
    """Codes go through the notification centre's one outbox: masked in the row's text and in the console, the
    full text kept (no provider: the outbox is the delivery) only until SECRET_TTL, also once the worker ran."""
    with portal.db.session() as s:
        _, req = recovery.start(s, portal.world.contract_c)
        phone = phones_of(s, req.contract_id)[0]
        recovery.send_code(s, req, phone.id)
        row = s.scalars(select(NotifyMessage).where(NotifyMessage.recipient == phone.phone)).all()[-1]
        code = re.search(r"\b\d{6}\b", row.body).group(0)  # waiting for delivery: the only readable copy
        assert code not in row.text and "••••••" in row.text
        assert (row.channel, row.category, row.urgent) == ("sms", "recovery", True)
        message_id = row.id
    Worker(portal.db, {"sms": LocalOutbox()}).run_once()
    with portal.db.session() as s:
        assert s.get(NotifyMessage, message_id).status == "sent"
        assert code in (s.get(NotifyMessage, message_id).body or "")  # no provider: it waits, briefly
    with httpx.Client(base_url=portal.url) as op:
        token = csrf_of(op.get("/operator/login"))
        op.post("/operator/login", data={"csrf": token, "login": portal.world.operator, "password": OPERATOR_PASSWORD})
        console = op.get("/operator/notify/outbox")
        assert console.status_code == 200 and "код восстановления пароля ••••••" in console.text
        assert code not in console.text
    with portal.db.session() as s:
        assert purge_codes(s, now=utcnow() + SECRET_TTL + timedelta(seconds=1)) >= 1
        assert s.get(NotifyMessage, message_id).body is None  # a stale code is forgotten


def test_a_code_a_provider_took_is_never_stored_by_the_notification_worker(portal) -> None:
    class Provider:
        name = "smsru"

        def __init__(self) -> None:
            self.texts: list[str] = []

        def send(self, message) -> str:
            self.texts.append(message.body or message.text)
            return "ref-1"

    provider = Provider()
    with portal.db.session() as s:
        row = codes.send_code(s, "sms", "+79051112299", "код 482915, никому", "482915", purpose="contact")
        message_id = row.id
    Worker(portal.db, {"sms": provider}).run_once()
    assert provider.texts == ["код 482915, никому"]
    with portal.db.session() as s:
        row = s.get(NotifyMessage, message_id)
        assert (row.status, row.text, row.body, row.reference) == ("sent", "код ••••••, никому", None, "ref-1")

    class Refusing:
        def send(self, message) -> str:
            raise Permanent("SMS.ru 202: Неправильно указан номер телефона получателя")

    with portal.db.session() as s:
        message_id = codes.send_code(s, "sms", "+79051112298", "код 111222", "111222", purpose="contact").id
    Worker(portal.db, {"sms": Refusing()}).run_once()
    with portal.db.session() as s:
        row = s.get(NotifyMessage, message_id)
        assert (row.status, row.text, row.body) == ("failed", "код ••••••", None)  # refused: not kept either
        assert "202" in row.error


def test_recovery_answers_unknown_contracts_like_closed_ones_and_is_rate_limited(portal) -> None:
    with portal.db.session() as s:
        answers = []
        for number in ("no-such-77", portal.world.contract_b + "9"):
            with pytest.raises(FieldError) as refused:
                recovery.start(s, number, ip="198.51.100.7")
            answers.append(refused.value.reason)
        contract = find_contract(s, portal.world.contract_c)
        contract.status = "disabled"
        with pytest.raises(FieldError) as closed:
            recovery.start(s, contract.number, ip="198.51.100.7")
        assert answers == [closed.value.reason, closed.value.reason]
        s.rollback()
    with portal.db.session() as s:
        for i in range(recovery.START_LIMITS.per_ip):
            with pytest.raises(FieldError):
                recovery.start(s, f"guess-{i}", ip="198.51.100.8")
        with pytest.raises(FieldError, match="слишком много попыток восстановления"):
            recovery.start(s, portal.world.contract_b, ip="198.51.100.8")  # even a real one, from this address
        for i in range(recovery.START_LIMITS.per_contract):
            try:
                recovery.start(s, portal.world.contract_b, ip=f"203.0.113.{i}")
            except FieldError:
                pytest.fail("the starts below the per-contract limit must pass")
        with pytest.raises(FieldError, match="слишком много попыток восстановления"):
            recovery.start(s, portal.world.contract_b, ip="203.0.113.200")
        s.rollback()


def test_recovery_page_gives_one_answer_for_unknown_and_closed(portal) -> None:
    with httpx.Client(base_url=portal.url, headers={"x-forwarded-for": "198.51.100.20"}) as client:
        token = csrf_of(client.get("/recover"))
        unknown = client.post("/recover", data={"csrf": token, "contract": "000000"})
        assert unknown.status_code == 400 and "восстановить пароль по SMS нельзя" in unknown.text


def operator_client(portal) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=portal.url)
    token = csrf_of(client.get("/operator/login"))
    client.post("/operator/login", data={"csrf": token, "login": portal.world.operator, "password": OPERATOR_PASSWORD})
    return client, token


def test_cookie_authenticated_operator_api_needs_the_csrf_header(portal) -> None:
    client, token = operator_client(portal)
    try:
        csv = f"{portal.world.contract_b},192.0.2.0/28\n"
        forged = client.post("/api/v1/operator/ip-bindings/import", content=csv)
        assert forged.status_code == 403 and "CSRF" in forged.json()["detail"]
        assert client.get("/api/v1/operator/ip-bindings").status_code == 200  # reading needs no token
        ok = client.post("/api/v1/operator/ip-bindings/import", content=csv, headers={"x-csrf-token": token})
        assert ok.status_code == 200 and ok.json() == {"added": 1}
        bearer = client.cookies["dozor_session"]
    finally:
        client.close()
    with httpx.Client(base_url=portal.url) as api:  # a bearer token: no cookie, no CSRF token needed
        listed = api.get("/api/v1/operator/ip-bindings", headers={"authorization": f"Bearer {bearer}"})
        binding = next(b for b in listed.json() if b["network"] == "192.0.2.0/28")
        gone = api.delete(
            f"/api/v1/operator/ip-bindings/{binding['id']}", headers={"authorization": f"Bearer {bearer}"}
        )
        assert gone.status_code == 204


def test_bodies_are_capped_by_length_and_while_streaming(portal) -> None:
    with httpx.Client(base_url=portal.url) as client:
        declared = client.post("/api/v1/auth/login", content=b"x" * (DEFAULT_MAX_BODY + 1))
        assert declared.status_code == 413

        def chunks():
            for _ in range(DEFAULT_MAX_BODY // 65536 + 2):
                yield b"{" * 65536

        streamed = client.post("/api/v1/auth/login", content=chunks(), headers={"content-type": "application/json"})
        assert streamed.status_code == 413
        forpost = client.post(
            "/api/Login", content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"}
        )
        # Forpost always answers HTTP 200 JSON with its ErrorCode; the body was still read only up to the cap.
        assert forpost.status_code == 200
        assert forpost.json()["ErrorCode"] == 3 and "большой" in forpost.json()["Error"]
        # A route with a larger cap takes more than the default.
        client_, token = operator_client(portal)
        try:
            big = ("# comment line that is not a binding\n" * (DEFAULT_MAX_BODY // 30)).encode()
            assert DEFAULT_MAX_BODY < len(big) < CSV_MAX_BODY
            answer = client_.post("/api/v1/operator/ip-bindings/import", content=big, headers={"x-csrf-token": token})
            assert answer.status_code != 413
        finally:
            client_.close()


def test_csv_upload_page_checks_the_operator_before_parsing_the_upload(portal) -> None:
    with httpx.Client(base_url=portal.url) as anonymous:
        anonymous.get("/login")  # a CSRF cookie but no session
        answer = anonymous.post(
            "/operator/ip-bindings/import",
            files={"file": ("b.csv", b"100101,192.0.2.77\n", "text/csv")},
            follow_redirects=False,
        )
    # The login redirect, not the CSRF refusal a parsed form would give.
    assert answer.status_code == 303 and answer.headers["location"].startswith("/operator/login")
