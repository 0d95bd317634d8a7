"""Staff side: the queue and its filters, replies that tell the subscriber (outbox), internal notes the
subscriber never sees, states with reopening, assignee, canned replies, first-response due and overdue."""

from datetime import timedelta

from sqlalchemy import select

from portal.models import utcnow
from portal.models.notify import NotifyMessage
from portal.models.support import Ticket
from tests.support.conftest import PDF, form


def _ticket(desk, who: str = "a", **overrides) -> int:
    r = desk.client.post("/api/v1/support/tickets", data=form(**overrides), headers=desk.auth(who))
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _status(desk, ticket_id: int, who: str = "a") -> str:
    return desk.client.get(f"/api/v1/support/tickets/{ticket_id}", headers=desk.auth(who)).json()["status"]


def test_staff_answer_reaches_the_subscriber_and_the_outbox(desk) -> None:
    ticket_id = _ticket(desk, phone="+79050000001")
    op, csrf = desk.browser("op")
    page = op.get(f"/operator/support/tickets/{ticket_id}")
    assert page.status_code == 200 and "Камера у входа" in page.text and "Шаблон ответа" in page.text
    r = op.post(
        f"/operator/support/tickets/{ticket_id}/reply",
        data={"csrf": csrf, "text": "Заметка: мастер выедет завтра", "internal": "1"},
    )
    assert r.status_code == 303
    r = op.post(
        f"/operator/support/tickets/{ticket_id}/reply",
        data={"csrf": csrf, "text": "Перезагрузите камеру, пожалуйста"},
        files=[("files", ("инструкция.pdf", PDF, "application/pdf"))],
    )
    assert r.status_code == 303
    detail = desk.client.get(f"/api/v1/support/tickets/{ticket_id}", headers=desk.auth("a")).json()
    texts = [m["text"] for m in detail["messages"]]
    assert "Перезагрузите камеру, пожалуйста" in texts
    assert not any("Заметка" in t for t in texts)  # the internal note is staff-only
    assert detail["status"] == "waiting"
    staff_files = detail["messages"][-1]["attachments"]
    assert desk.client.get(staff_files[0]["url"], headers=desk.auth("a")).content == PDF
    assert "Заметка: мастер" in op.get(f"/operator/support/tickets/{ticket_id}").text
    with desk.db.session() as s:
        # Through the notification centre, by the contract's «support» subscription (default: e-mail + SMS).
        sent = s.scalars(select(NotifyMessage).where(NotifyMessage.category == "support")).all()
        assert sorted(m.channel for m in sent) == ["email", "sms"]  # the answer once, not the internal note
        assert all(f"№{ticket_id}" in m.text for m in sent)
        assert s.get(Ticket, ticket_id).first_response_at is not None


def test_states_and_reopening_by_a_subscriber_reply(desk) -> None:
    ticket_id = _ticket(desk)
    op, csrf = desk.browser("op")
    assert _status(desk, ticket_id) == "new"
    op.post(f"/operator/support/tickets/{ticket_id}/update", data={"csrf": csrf, "status": "open"})
    assert _status(desk, ticket_id) == "open"
    op.post(f"/operator/support/tickets/{ticket_id}/reply", data={"csrf": csrf, "text": "Готово", "status": "resolved"})
    assert _status(desk, ticket_id) == "resolved"
    desk.client.post(
        f"/api/v1/support/tickets/{ticket_id}/messages", data={"text": "Снова не работает"}, headers=desk.auth("a")
    )
    assert _status(desk, ticket_id) == "open"
    op.post(f"/operator/support/tickets/{ticket_id}/update", data={"csrf": csrf, "status": "closed"})
    assert _status(desk, ticket_id) == "closed"
    desk.client.post(
        f"/api/v1/support/tickets/{ticket_id}/messages", data={"text": "Ещё вопрос"}, headers=desk.auth("a")
    )
    assert _status(desk, ticket_id) == "open"
    bad = op.post(f"/operator/support/tickets/{ticket_id}/update", data={"csrf": csrf, "status": "lost"})
    assert bad.status_code == 422 and _status(desk, ticket_id) == "open"


def test_queue_filters_by_state_topic_address_assignee_and_overdue(desk) -> None:
    quality = _ticket(desk, "b", topic="quality", address="")
    late = _ticket(desk, topic="archive")
    with desk.db.session() as s:
        s.get(Ticket, late).first_response_due = utcnow() - timedelta(minutes=5)
    op, csrf = desk.browser("op")
    page = op.get("/operator/support", params={"topic": "quality"}).text
    assert f'data-ticket="{quality}"' in page and f'data-ticket="{late}"' not in page
    page = op.get("/operator/support", params={"address": "Кирова"}).text
    assert f'data-ticket="{quality}"' in page and f'data-ticket="{late}"' not in page
    page = op.get("/operator/support", params={"overdue": "1"}).text
    assert f'data-ticket="{late}"' in page and f'data-ticket="{quality}"' not in page and "просрочено" in page
    page = op.get("/operator/support", params={"state": "new", "assignee": "none"}).text
    assert f'data-ticket="{quality}"' in page
    from portal.models import Operator

    with desk.db.session() as s:
        op_id = s.scalar(select(Operator.id).where(Operator.login == desk.world.operator))
    op.post(f"/operator/support/tickets/{quality}/update", data={"csrf": csrf, "assignee_id": str(op_id)})
    page = op.get("/operator/support", params={"assignee": str(op_id)}).text
    assert f'data-ticket="{quality}"' in page and f'data-ticket="{late}"' not in page
    assert _status(desk, quality, "b") == "open"  # taking a new ticket opens it


def test_first_response_due_follows_the_topic(desk) -> None:
    fast, slow = _ticket(desk, topic="camera_offline"), _ticket(desk, topic="other")
    with desk.db.session() as s:
        a, b = s.get(Ticket, fast), s.get(Ticket, slow)
        assert a.first_response_due - a.created_at == timedelta(minutes=120)
        assert b.first_response_due - b.created_at == timedelta(minutes=1440)


def test_canned_replies_and_topics_are_edited_in_the_console(desk) -> None:
    op, csrf = desk.browser("op")
    assert (
        op.post(
            "/operator/support/canned", data={"csrf": csrf, "title": "Оплата", "text": "Платёж поступил."}
        ).status_code
        == 303
    )
    assert "Платёж поступил." in op.get("/operator/support/settings").text
    r = op.post(
        "/operator/support/topics",
        data={"csrf": csrf, "code": "intercom", "title": "Домофон", "first_response_minutes": "60"},
    )
    assert r.status_code == 303
    topics = desk.client.get("/api/v1/support/topics").json()["topics"]
    assert {"code": "intercom", "title": "Домофон", "first_response_minutes": 60} in topics
    assert (
        op.post("/operator/support/topics", data={"csrf": csrf, "code": "bad code!", "title": "x"}).status_code == 422
    )


def test_subscriber_pages_show_the_thread(desk) -> None:
    ticket_id = _ticket(desk)
    a, csrf = desk.browser("a")
    assert f"№{ticket_id}" in a.get("/support").text
    page = a.get("/support/new").text
    for label in ("Ваше имя", "Ваш контактный номер телефона", "Тема обращения", "Адрес объекта",
                  "Камеры, с которыми возникла проблема", "Провайдер интернета, к которому подключена камера",
                  "Наличие доступа в Интернет у камер в данный момент", "Высота установки сломанных камер",
                  "Поставщик сломанных камер", "Текст обращения", "Прикрепить вложение", "Другое"):  # fmt: skip
        assert label in page, label
    r = a.post(f"/support/tickets/{ticket_id}/reply", data={"csrf": csrf, "text": "Со страницы"})
    assert r.status_code == 303
    assert "Со страницы" in a.get(f"/support/tickets/{ticket_id}").text
    bad = a.post("/support/new", data={"csrf": csrf, "name": "Иван"})
    assert bad.status_code == 422 and "Ваш контактный номер телефона" in bad.text


def test_operator_api_queue_thread_and_reply(desk) -> None:
    ticket_id = _ticket(desk, topic="payment")
    h = desk.auth("op")
    queue = desk.client.get("/api/v1/operator/support/tickets", params={"topic": "payment"}, headers=h).json()
    assert ticket_id in [t["id"] for t in queue["tickets"]]
    note = desk.client.post(
        f"/api/v1/operator/support/tickets/{ticket_id}/messages",
        data={"text": "проверить платёж", "internal": "true"},
        headers=h,
    )
    assert note.status_code == 201 and note.json()["status"] == "open"
    answer = desk.client.post(
        f"/api/v1/operator/support/tickets/{ticket_id}/messages", data={"text": "Платёж найден"}, headers=h
    )
    assert answer.json()["status"] == "waiting"
    staff_view = desk.client.get(f"/api/v1/operator/support/tickets/{ticket_id}", headers=h).json()
    assert [m["internal"] for m in staff_view["messages"]] == [False, True, False]
    mine = desk.client.get(f"/api/v1/support/tickets/{ticket_id}", headers=desk.auth("a")).json()
    assert [m["text"] for m in mine["messages"]][-1] == "Платёж найден" and len(mine["messages"]) == 2
    assert desk.client.get("/api/v1/operator/support/tickets", headers=desk.auth("a")).status_code == 403
    bad = desk.client.post(f"/api/v1/operator/support/tickets/{ticket_id}/messages", data={"text": ""}, headers=h)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "text"
