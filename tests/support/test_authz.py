"""Subscriber B (and C, at A's entrance) never see A's tickets, attachments or chats, also by guessing ids."""

from tests.support.conftest import PNG, form


def _a_ticket(desk) -> tuple[int, str, int]:
    r = desk.client.post(
        "/api/v1/support/tickets",
        data=form(),
        files=[("files", ("screen.png", PNG, "image/png"))],
        headers=desk.auth("a"),
    )
    detail = desk.client.get(f"/api/v1/support/tickets/{r.json()['id']}", headers=desk.auth("a")).json()
    chat_id = desk.client.get("/api/v1/support/chat", headers=desk.auth("a")).json()["id"]
    return detail["id"], detail["messages"][0]["attachments"][0]["url"], chat_id


def test_b_and_c_get_404_for_a_s_ticket_attachment_and_chat(desk) -> None:
    ticket_id, url, chat_id = _a_ticket(desk)
    for who in ("b", "c"):
        h = desk.auth(who)
        assert desk.client.get(f"/api/v1/support/tickets/{ticket_id}", headers=h).status_code == 404
        r = desk.client.post(f"/api/v1/support/tickets/{ticket_id}/messages", data={"text": "hi"}, headers=h)
        assert r.status_code == 404
        assert desk.client.get(url, headers=h).status_code == 404
        assert desk.client.get(f"/api/v1/support/chats/{chat_id}/messages", headers=h).status_code == 404
        r = desk.client.post(f"/api/v1/support/chats/{chat_id}/messages", data={"text": "hi"}, headers=h)
        assert r.status_code == 404
        assert ticket_id not in [
            t["id"] for t in desk.client.get("/api/v1/support/tickets", headers=h).json()["tickets"]
        ]
    # A's thread still has only A's message
    detail = desk.client.get(f"/api/v1/support/tickets/{ticket_id}", headers=desk.auth("a")).json()
    assert len(detail["messages"]) == 1
    # staff may read the attachment; anonymous may not
    assert desk.client.get(url, headers=desk.auth("op")).status_code == 200
    assert desk.client.get(url).status_code == 401


def test_guessing_ids_finds_nothing_of_others(desk) -> None:
    _a_ticket(desk)
    h = desk.auth("b")
    own = {t["id"] for t in desk.client.get("/api/v1/support/tickets", headers=h).json()["tickets"]}
    for guess in range(1, 60):
        status = desk.client.get(f"/api/v1/support/tickets/{guess}", headers=h).status_code
        assert status == (200 if guess in own else 404), guess
        assert desk.client.get(f"/api/v1/support/attachments/{guess}", headers=h).status_code == 404
        assert desk.client.get(f"/api/v1/support/chats/{guess}/messages", headers=h).status_code in (404,)


def test_b_cannot_open_a_s_ticket_page(desk) -> None:
    ticket_id, _, _ = _a_ticket(desk)
    desk.client.cookies.set("dozor_session", desk.token("b"))
    try:
        assert desk.client.get(f"/support/tickets/{ticket_id}", follow_redirects=False).status_code == 404
    finally:
        desk.client.cookies.clear()


def test_the_chat_socket_refuses_others_and_other_sites(desk) -> None:
    from starlette.websockets import WebSocketDisconnect

    _, _, chat_id = _a_ticket(desk)
    for headers in ({"cookie": f"dozor_session={desk.token('b')}"}, {}):
        try:
            with desk.client.websocket_connect(f"/api/v1/support/chats/{chat_id}/ws", headers=headers):
                raise AssertionError("socket opened")
        except WebSocketDisconnect as exc:
            assert exc.code == 1008
    cross = {"cookie": f"dozor_session={desk.token('a')}", "origin": "https://evil.example"}
    try:
        with desk.client.websocket_connect(f"/api/v1/support/chats/{chat_id}/ws", headers=cross):
            raise AssertionError("socket opened")
    except WebSocketDisconnect as exc:
        assert exc.code == 1008
