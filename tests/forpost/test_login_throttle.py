"""Forpost Login goes through the portal's one login attempt: the cabinet's lockout (LoginErrorCode 103 while
locked, even for the right password), one argon2 check whatever the contract, the same answer for unknown
contracts as for a wrong password; and the Remember letter links the recovery page that exists."""

import re

from argon2 import PasswordHasher
from sqlalchemy import select

from portal.models.notify import NotifyMessage
from tests.forpost.conftest import World


def test_forpost_login_locks_out_like_the_cabinet(world: World) -> None:
    wrong = [world.call("Login", Login="1001", Password=f"guess-{i}")["LoginErrorCode"] for i in range(5)]
    assert wrong == [1, 1, 1, 1, 103]
    assert world.call("Login", Login="1001", Password="secret-1001") == {
        "LoginErrorCode": 103,
        "Error": "Вход заблокирован",
    }
    # The same lock stops the cabinet's JSON login: one throttle for every path.
    cabinet = world.client.post("/api/v1/auth/login", json={"contract": "1001", "password": "secret-1001"})
    assert cabinet.status_code == 429
    # Another contract from the same address is not locked (per-IP limit is higher).
    assert "SessionID" in world.call("Login", Login="1002", Password="secret-1002")


def test_cabinet_failures_count_for_forpost_too(world: World) -> None:
    for _ in range(5):
        world.client.post("/api/v1/auth/login", json={"contract": "1002", "password": "nope-nope"})
    assert world.call("Login", Login="1002", Password="secret-1002")["LoginErrorCode"] == 103


def test_unknown_contract_answers_like_a_wrong_password_and_costs_one_verify(world: World, monkeypatch) -> None:
    calls: list[str] = []
    real = PasswordHasher.verify

    def counting(self, hash_, password):
        calls.append(hash_)
        return real(self, hash_, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    unknown = world.call("Login", Login="9999", Password="whatever-1")
    assert unknown == {"LoginErrorCode": 1, "Error": "Неверный логин или пароль"}
    assert len(calls) == 1  # a dummy hash stands in for the missing account
    known = world.call("Login", Login="1001", Password="whatever-1")
    assert known == unknown and len(calls) == 2
    assert calls[0] != calls[1] and calls[0].startswith("$argon2")


def test_remember_letter_links_the_recover_page(world: World) -> None:
    assert world.call("Remember", Email="ivanov@example.ru") == {"Result": 1}
    with world.services.db.session() as db:
        text = db.scalar(select(NotifyMessage.text).where(NotifyMessage.category == "forpost_remember"))
    link = re.search(r"(http://testserver/\S+)", text).group(1)
    assert link == "http://testserver/recover"
    assert world.client.get("/recover").status_code == 200
