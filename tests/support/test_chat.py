"""Live chat over the WebSocket: both directions, persistence, two portal apps (workers) on one database,
the no-socket fallback, and a chat becoming a ticket."""

from fastapi.testclient import TestClient

from portal.app import create_app
from portal.config import PortalSettings
from portal.models.support import ChatMessage, Ticket
from tests.fixtures.keys import TEST_SECRET_KEY


def _cookie(desk, who: str) -> dict[str, str]:
    return {"cookie": f"dozor_session={desk.token(who)}"}


def _receive_until(ws, text: str) -> dict:
    for _ in range(50):  # bounded: each receive is one delivered row
        item = ws.receive_json()
        if item.get("text") == text:
            return item
    raise AssertionError(f"{text!r} never arrived")


def test_two_workers_on_one_database_exchange_messages_both_ways(desk) -> None:
    chat_id = desk.client.get("/api/v1/support/chat", headers=desk.auth("a")).json()["id"]
    # A second app on the same database and object store = a second worker; it shares no memory with the first.
    settings = desk.app.state.services.settings
    other = create_app(
        PortalSettings(
            data_dir=settings.data_dir, secret_key=TEST_SECRET_KEY, database_url=settings.resolved_database_url()
        )
    )
    url = f"/api/v1/support/chats/{chat_id}/ws"
    with (
        TestClient(other) as second,
        desk.client.websocket_connect(url, headers=_cookie(desk, "a")) as subscriber,
        second.websocket_connect(url, headers=_cookie(desk, "op")) as operator,
    ):
        subscriber.send_json({"text": "Здравствуйте, камера не работает"})
        got = _receive_until(operator, "Здравствуйте, камера не работает")
        assert got["author"] == "subscriber"
        operator.send_json({"text": "Сейчас проверим"})
        assert _receive_until(subscriber, "Сейчас проверим")["author"] == "staff"
        subscriber.send_json({"text": ""})
        assert subscriber.receive_json() == {"error": "text: пустое сообщение"}
    with desk.db.session() as s:
        texts = [m.text for m in s.query(ChatMessage).filter_by(chat_id=chat_id).order_by(ChatMessage.id)]
    assert texts[-2:] == ["Здравствуйте, камера не работает", "Сейчас проверим"]


def test_reconnect_after_a_drop_resumes_after_the_last_seen_id(desk) -> None:
    chat_id = desk.client.get("/api/v1/support/chat", headers=desk.auth("a")).json()["id"]
    r = desk.client.post(
        f"/api/v1/support/chats/{chat_id}/messages", data={"text": "пока сокета нет"}, headers=desk.auth("op")
    )
    assert r.status_code == 201
    last = r.json()["id"]
    desk.client.post(f"/api/v1/support/chats/{chat_id}/messages", data={"text": "и ещё одно"}, headers=desk.auth("op"))
    with desk.client.websocket_connect(
        f"/api/v1/support/chats/{chat_id}/ws?after={last}", headers=_cookie(desk, "a")
    ) as ws:
        assert ws.receive_json()["text"] == "и ещё одно"
    polled = desk.client.get(
        f"/api/v1/support/chats/{chat_id}/messages", params={"after": 0}, headers=desk.auth("a")
    ).json()
    assert "пока сокета нет" in [m["text"] for m in polled["messages"]]


def test_page_fallback_shows_the_whole_history_and_chat_becomes_a_ticket(desk) -> None:
    a, csrf = desk.browser("a")
    assert a.post("/support/chat/messages", data={"csrf": csrf, "text": "Через форму без сокета"}).status_code == 303
    page = a.get("/support/chat").text
    assert "Через форму без сокета" in page and "Сейчас проверим" in page
    chat_id = desk.client.get("/api/v1/support/chat", headers=desk.auth("a")).json()["id"]
    op, op_csrf = desk.browser("op")
    assert f"/operator/support/chats/{chat_id}" in op.get("/operator/support").text
    assert "Через форму без сокета" in op.get(f"/operator/support/chats/{chat_id}").text
    r = op.post(f"/operator/support/chats/{chat_id}/ticket", data={"csrf": op_csrf})
    assert r.status_code == 303
    ticket_id = int(r.headers["location"].rsplit("/", 1)[-1])
    detail = desk.client.get(f"/api/v1/support/tickets/{ticket_id}", headers=desk.auth("a")).json()
    assert detail["kind"] == "chat" and "Абонент: Через форму без сокета" in detail["messages"][0]["text"]
    with desk.db.session() as s:
        assert s.get(Ticket, ticket_id).contract_id == desk.world.ids["a"]
    again = op.post(f"/operator/support/chats/{chat_id}/ticket", data={"csrf": op_csrf})
    assert again.status_code == 409
    # the closed chat refuses new messages; the subscriber's next visit opens a fresh chat
    closed = desk.client.post(f"/api/v1/support/chats/{chat_id}/messages", data={"text": "x"}, headers=desk.auth("a"))
    assert closed.status_code == 409
    assert desk.client.get("/api/v1/support/chat", headers=desk.auth("a")).json()["id"] != chat_id


def test_a_socket_closes_once_its_session_is_revoked(desk, monkeypatch) -> None:
    from starlette.websockets import WebSocketDisconnect

    from portal.auth.sessions import resolve, revoke
    from portal.support import chat

    monkeypatch.setattr(chat, "RECHECK_POLLS", 1)
    chat_id = desk.client.get("/api/v1/support/chat", headers=desk.auth("b")).json()["id"]
    token = desk.token("b")
    with desk.client.websocket_connect(
        f"/api/v1/support/chats/{chat_id}/ws", headers={"cookie": f"dozor_session={token}"}
    ) as ws:
        with desk.db.session() as s:
            revoke(s, resolve(s, token).session_id)
        try:
            for _ in range(50):  # bounded: history rows first, then the close
                ws.receive_json()
            raise AssertionError("socket stayed open")
        except WebSocketDisconnect as exc:
            assert exc.code == 1008
