"""Cabinet domain rules without a browser: IP bindings, the HTTP SMS gateway, contacts, JSON login lockout, CSRF."""

import json
import re
from http.server import BaseHTTPRequestHandler

import httpx
import pytest
from sqlalchemy import select

from portal.cabinet import contacts
from portal.cabinet.contracts import find_contract, phones_of
from portal.cabinet.errors import FieldError
from portal.cabinet.ip_bindings import contract_for_ip, import_csv, parse_network
from portal.models import IpBinding
from portal.models.notify import NotifyMessage


def test_ip_binding_forms_and_lookup(portal) -> None:
    assert parse_network("10.1.2.5")[0] == "10.1.2.5"
    assert parse_network("10.1.2.7/30")[0] == "10.1.2.4/30"
    assert parse_network("10.1.2.5 - 10.1.2.9")[0] == "10.1.2.5-10.1.2.9"
    with pytest.raises(FieldError, match="не IP-адрес"):
        parse_network("10.1.2.300")
    with pytest.raises(FieldError, match="конец диапазона"):
        parse_network("10.1.2.9-10.1.2.5")
    with portal.db.session() as s:
        assert contract_for_ip(s, portal.world.bound_ip).number == portal.world.contract_a
        assert contract_for_ip(s, "10.20.31.1") is None
        assert contract_for_ip(s, "not-an-ip") is None


def test_csv_import_is_all_or_nothing(portal) -> None:
    w = portal.world
    with portal.db.session() as s:
        before = s.scalar(select(IpBinding.id).order_by(IpBinding.id.desc()))
        report = import_csv(
            s, f"contract,network\n{w.contract_b},192.168.50.0/24\n{w.contract_c},10.20.30.99\nnope,1.2.3.4\n"
        )
        assert report.added == 0
        assert any("строка 2" in e and "пересекается" in e for e in report.errors)
        assert any("строка 3" in e and "«nope»" in e for e in report.errors)
        assert s.scalar(select(IpBinding.id).order_by(IpBinding.id.desc())) == before
        report = import_csv(s, f"{w.contract_b},192.168.50.0/24\n{w.contract_c},2001:db8::/64\n")
        assert (report.added, report.errors) == (2, [])
        assert contract_for_ip(s, "2001:db8::42").number == w.contract_c
        s.rollback()


class _Provider(BaseHTTPRequestHandler):
    received: list[dict] = []
    status = 200

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Provider.received.append({"auth": self.headers.get("Authorization"), **body})
        self.send_response(_Provider.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"message_id": "m-77"}')

    def log_message(self, *args: object) -> None:
        pass


def test_new_phone_is_bound_only_with_the_code_sent_to_it(portal) -> None:
    with portal.db.session() as s:
        contract = find_contract(s, portal.world.contract_c)
        pending = contacts.request_contact(s, contract.id, "phone", "8 (913) 555-44-33")
        assert pending.value == "+79135554433"
        text = s.scalar(select(NotifyMessage.body).where(NotifyMessage.recipient == "+79135554433"))
        code = re.search(r"\d{6}", text).group(0)
        assert "+79135554433" not in [p.phone for p in phones_of(s, contract.id)]
        with pytest.raises(FieldError, match="неверный код"):
            contacts.confirm_contact(s, contract.id, pending.id, f"{(int(code) + 1) % 10**6:06d}")
        with pytest.raises(FieldError, match="не найден"):
            contacts.confirm_contact(s, find_contract(s, portal.world.contract_b).id, pending.id, code)
        assert contacts.confirm_contact(s, contract.id, pending.id, code) == "+79135554433"
        assert "+79135554433" in [p.phone for p in phones_of(s, contract.id)]
        with pytest.raises(FieldError, match="уже привязан"):
            contacts.request_contact(s, contract.id, "phone", "+79135554433")
        with pytest.raises(FieldError, match="name@example.ru"):
            contacts.request_contact(s, contract.id, "email", "not-an-email")
        s.rollback()


def test_json_login_keeps_working_and_locks_out_with_429(portal) -> None:
    w = portal.world
    with httpx.Client(base_url=portal.url) as client:
        ok = client.post("/api/v1/auth/login", json={"contract": w.contract_a, "password": "Kamera2024x"})
        assert ok.status_code == 200 and ok.cookies.get("dozor_session")
        token = ok.json()["token"]
        assert client.get("/api/v1/cameras", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert client.get("/api/v1/cameras", headers={"Authorization": "Bearer nope"}).status_code == 401
        statuses = [
            client.post("/api/v1/auth/login", json={"contract": "no-such-99", "password": "x"}).status_code
            for _ in range(5)
        ]
    assert statuses == [401, 401, 401, 401, 429]


def test_forms_without_the_csrf_token_are_refused(portal) -> None:
    with httpx.Client(base_url=portal.url) as client:
        client.get("/login")  # gets the CSRF cookie, but the forged form has no token
        forged = client.post("/login", data={"contract": portal.world.contract_a, "password": "Kamera2024x"})
    assert forged.status_code == 403 and "CSRF" in forged.text
