"""The support form's API: a ticket with every field of the seed, attachments checked and stored, the thread."""

from portal.models.support import Ticket, TicketAttachment
from tests.support.conftest import HTML, JPEG, MP4, PDF, PNG, form


def _count(desk) -> tuple[int, int]:
    with desk.db.session() as s:
        return s.query(Ticket).count(), s.query(TicketAttachment).count()


def test_topics_list_the_dropdown_with_other_last(desk) -> None:
    body = desk.client.get("/api/v1/support/topics").json()
    titles = [t["title"] for t in body["topics"]]
    assert titles[-1] == "Другое" and "Камера не показывает изображение" in titles
    assert set(body["choices"]["cameras_online"]) == {"yes", "no", "unknown"}


def test_form_with_every_field_and_three_files_becomes_a_ticket(desk) -> None:
    w = desk.world
    data = form() | {"camera_ids": [w.shared_a, w.private_a]}
    files = [("files", ("screen.png", PNG, "image/png")), ("files", ("фото.jpg", JPEG, "image/jpeg")),
             ("files", ("act.pdf", PDF, "application/pdf"))]  # fmt: skip
    r = desk.client.post("/api/v1/support/tickets", data=data, files=files, headers=desk.auth("a"))
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "new"
    ticket_id = r.json()["id"]
    detail = desk.client.get(f"/api/v1/support/tickets/{ticket_id}", headers=desk.auth("a")).json()
    assert detail["phone"] == "+79051234567"
    assert detail["camera_ids"] == [w.shared_a, w.private_a]
    assert (detail["cameras_online"], detail["mounting_height"], detail["camera_supplier"]) == ("no", "mid", "ours")
    assert detail["first_response_due"] is not None
    [message] = detail["messages"]
    assert message["text"].startswith("Камера у входа")
    names = [a["filename"] for a in message["attachments"]]
    assert names == ["screen.png", "фото.jpg", "act.pdf"]
    got = desk.client.get(message["attachments"][1]["url"], headers=desk.auth("a"))
    assert got.status_code == 200 and got.content == JPEG
    assert got.headers["content-type"] == "image/jpeg"
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["x-content-type-options"] == "nosniff"
    listed = desk.client.get("/api/v1/support/tickets", headers=desk.auth("a")).json()["tickets"]
    assert ticket_id in [t["id"] for t in listed]


def test_address_defaults_to_the_contract_s(desk) -> None:
    r = desk.client.post("/api/v1/support/tickets", data=form(address=""), headers=desk.auth("b"))
    assert r.status_code == 201
    detail = desk.client.get(f"/api/v1/support/tickets/{r.json()['id']}", headers=desk.auth("b")).json()
    assert detail["address"] == "г.Новокузнецк, ул.Кирова 5"


def _refused(desk, field: str, data=None, files=None, who: str = "a") -> None:
    before, objects = _count(desk), desk.objects()
    r = desk.client.post("/api/v1/support/tickets", data=data or form(), files=files, headers=desk.auth(who))
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"][-1] == field, r.text
    assert _count(desk) == before and desk.objects() == objects  # nothing stored


def test_eleventh_attachment_is_refused(desk) -> None:
    _refused(desk, "files", files=[("files", (f"p{i}.png", PNG, "image/png")) for i in range(11)])


def test_oversized_file_is_refused(desk) -> None:
    _refused(desk, "files", files=[("files", ("big.png", PNG + b"\x00" * 5000, "image/png"))])


def test_bytes_not_matching_the_name_are_refused(desk) -> None:
    _refused(desk, "files", files=[("files", ("page.png", HTML, "image/png"))])
    _refused(desk, "files", files=[("files", ("doc.pdf", PNG, "application/pdf"))])
    _refused(desk, "files", files=[("files", ("page.html", HTML, "text/html"))])


def test_a_good_file_next_to_a_bad_one_is_not_stored_either(desk) -> None:
    _refused(desk, "files", files=[("files", ("ok.png", PNG, "image/png")), ("files", ("x.mp4", PDF, "video/mp4"))])


def test_names_with_paths_or_control_characters_are_refused(desk) -> None:
    _refused(desk, "files", files=[("files", ("../../etc/x.png", PNG, "image/png"))])
    _refused(desk, "files", files=[("files", ("..\\x.png", PNG, "image/png"))])
    # httpx percent-escapes control characters in a part's filename; a raw body sends them as they are.
    for name in (b"a\x07b.png", b"esc\x1bx.png", b"del\x7fx.png"):
        before, objects = _count(desk), desk.objects()
        body, ctype = _raw_multipart(form(), name, PNG)
        headers = desk.auth("a") | {"Content-Type": ctype}
        r = desk.client.post("/api/v1/support/tickets", content=body, headers=headers)
        assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "files", r.text
        assert "управляющие" in r.json()["detail"][0]["msg"]
        assert _count(desk) == before and desk.objects() == objects


def _raw_multipart(fields: dict, filename: bytes, data: bytes) -> tuple[bytes, str]:
    boundary = b"----supportboundary7"
    parts = [
        b"--" + boundary + b'\r\nContent-Disposition: form-data; name="' + k.encode() + b'"\r\n\r\n' + v.encode()
        for k, v in fields.items()
    ]
    parts.append(
        b"--" + boundary + b'\r\nContent-Disposition: form-data; name="files"; filename="' + filename
        + b'"\r\nContent-Type: image/png\r\n\r\n' + data
    )  # fmt: skip
    body = b"\r\n".join(parts) + b"\r\n--" + boundary + b"--\r\n"
    return body, f"multipart/form-data; boundary={boundary.decode()}"


def test_empty_form_names_the_first_missing_field(desk) -> None:
    before = _count(desk)
    r = desk.client.post("/api/v1/support/tickets", data={}, headers=desk.auth("a"))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "name"
    assert _count(desk) == before


def test_bad_fields_are_named(desk) -> None:
    _refused(desk, "topic", data=form(topic="nope"))
    _refused(desk, "phone", data=form(phone="call me"))
    _refused(desk, "cameras_online", data=form(cameras_online="maybe"))
    _refused(desk, "text", data=form(text="   "))


def test_a_camera_that_is_not_the_subscriber_s_is_refused(desk) -> None:
    _refused(desk, "camera_ids", data=form() | {"camera_ids": [desk.world.shared_b]})
    # C lives at A's entrance: the shared camera is C's too, A's private one is not.
    _refused(desk, "camera_ids", data=form() | {"camera_ids": [desk.world.private_a]}, who="c")


def test_video_clip_files_are_accepted(desk) -> None:
    r = desk.client.post(
        "/api/v1/support/tickets",
        data=form(),
        files=[("files", ("clip.mp4", MP4, "video/mp4"))],
        headers=desk.auth("a"),
    )
    assert r.status_code == 201


def test_reply_adds_to_the_thread_and_refuses_bad_files(desk) -> None:
    ticket_id = desk.client.post("/api/v1/support/tickets", data=form(), headers=desk.auth("a")).json()["id"]
    r = desk.client.post(
        f"/api/v1/support/tickets/{ticket_id}/messages",
        data={"text": "Дополнение"},
        files=[("files", ("more.png", PNG, "image/png"))],
        headers=desk.auth("a"),
    )
    assert r.status_code == 201
    bad = desk.client.post(
        f"/api/v1/support/tickets/{ticket_id}/messages",
        data={"text": "x"},
        files=[("files", ("evil.gif", HTML, "image/gif"))],
        headers=desk.auth("a"),
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "files"
    detail = desk.client.get(f"/api/v1/support/tickets/{ticket_id}", headers=desk.auth("a")).json()
    assert [m["text"] for m in detail["messages"]] == [form()["text"], "Дополнение"]


def test_the_api_is_in_the_openapi(desk) -> None:
    paths = desk.client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/support/topics",
        "/api/v1/support/bot",
        "/api/v1/support/tickets",
        "/api/v1/support/tickets/{ticket_id}",
        "/api/v1/support/tickets/{ticket_id}/messages",
        "/api/v1/support/attachments/{attachment_id}",
        "/api/v1/contacts",
        "/api/v1/operator/support/tickets",
    ):
        assert path in paths, path
    fields = paths["/api/v1/support/tickets"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert "$ref" in fields or "properties" in fields
