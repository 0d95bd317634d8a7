"""The support desk in the operator console: the ticket queue and thread, canned replies and topics,
the bot's tree, the contacts page, live chats. Logic lives in portal/support/."""

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from portal.auth.sessions import Principal
from portal.deps import DB, services
from portal.models import Contract, Operator
from portal.models.support import CannedReply
from portal.notify.outbox import Policy
from portal.params import RowId
from portal.support import bot, catalog, chat, contacts, tickets
from portal.support.errors import SupportError
from portal.support.files import ACCEPT, MAX_FILES
from portal.support.views import read_uploads
from portal.web.csrf import verify_csrf
from portal.web.guards import PageOperator
from portal.web.templating import render

router = APIRouter(prefix="/operator/support", tags=["operator console"], include_in_schema=False)
Csrf = Depends(verify_csrf)
Files = Annotated[list[UploadFile] | None, File()]


def _operators(db) -> list[Operator]:
    return list(db.scalars(select(Operator).order_by(Operator.login)))


def _error(exc: SupportError) -> str:
    return f"{exc.field}: {exc.reason}"


@router.get("")
def queue_page(
    request: Request,
    _who: PageOperator,
    db: DB,
    state: str = "",
    topic: str = "",
    address: str = "",
    assignee: str = "",
    overdue: str = "",
    kind: str = "",
) -> Response:
    f = tickets.QueueFilter(state, topic, address, assignee, overdue == "1", kind)
    items = tickets.queue(db, f)
    return render(
        request,
        "operator/support_queue.html",
        active="support",
        tickets=items,
        overdue_ids={t.id for t in items if tickets.is_overdue(t)},
        f=f,
        topics=catalog.topics(db),
        titles=catalog.topic_titles(db),
        statuses=catalog.STATUSES,
        kinds=catalog.KINDS,
        operators=_operators(db),
        chats=chat.open_chats(db),
    )


def _ticket_page(request: Request, db, ticket_id: int, status: int = 200, **context) -> Response:
    found = db.get(tickets.Ticket, ticket_id)
    if found is None:
        raise HTTPException(404, "Такого обращения нет")
    return render(
        request,
        "operator/support_ticket.html",
        status,
        active="support",
        ticket=found,
        contract=db.get(Contract, found.contract_id) if found.contract_id else None,
        thread=tickets.thread(db, found, staff=True),
        overdue=tickets.is_overdue(found),
        titles=catalog.topic_titles(db),
        statuses=catalog.STATUSES,
        kinds=catalog.KINDS,
        choices=catalog.CHOICES,
        operators=_operators(db),
        canned=list(db.scalars(select(CannedReply).order_by(CannedReply.title))),
        max_files=MAX_FILES,
        accept=ACCEPT,
        **context,
    )


@router.get("/tickets/{ticket_id}")
def ticket_page(request: Request, ticket_id: RowId, _who: PageOperator, db: DB) -> Response:
    return _ticket_page(request, db, ticket_id)


@router.post("/tickets/{ticket_id}/reply", dependencies=[Csrf])
def ticket_reply(
    request: Request,
    ticket_id: RowId,
    who: PageOperator,
    db: DB,
    text: Annotated[str, Form()] = "",
    internal: Annotated[str, Form()] = "",
    status: Annotated[str, Form()] = "",
    files: Files = None,
) -> Response:
    found = db.get(tickets.Ticket, ticket_id)
    if found is None:
        raise HTTPException(404, "Такого обращения нет")
    svc = services(request)
    try:
        uploads = read_uploads(files, svc.settings.support_max_file_bytes)
        tickets.staff_reply(
            db,
            svc.storage,
            Policy.from_settings(svc.settings),
            found,
            _staff(who),
            text,
            uploads,
            internal=internal == "1",
            status=status,
        )
    except SupportError as exc:
        db.rollback()
        return _ticket_page(request, db, ticket_id, exc.status, error=_error(exc), reply_text=text)
    return RedirectResponse(f"/operator/support/tickets/{ticket_id}", status_code=303)


@router.post("/tickets/{ticket_id}/update", dependencies=[Csrf])
def ticket_update(
    request: Request,
    ticket_id: RowId,
    _who: PageOperator,
    db: DB,
    status: Annotated[str, Form()] = "",
    assignee_id: Annotated[str, Form()] = "",
) -> Response:
    found = db.get(tickets.Ticket, ticket_id)
    if found is None:
        raise HTTPException(404, "Такого обращения нет")
    try:
        if status:
            tickets.set_status(db, found, status)
        if assignee_id == "none":
            found.assignee_id = None
        elif assignee_id:
            if not assignee_id.isdigit() or db.get(Operator, int(assignee_id)) is None:
                raise SupportError("assignee_id", "нет такого оператора")
            found.assignee_id = int(assignee_id)
            if found.status == "new":
                found.status = "open"
    except SupportError as exc:
        db.rollback()
        return _ticket_page(request, db, ticket_id, exc.status, error=_error(exc))
    return RedirectResponse(f"/operator/support/tickets/{ticket_id}", status_code=303)


# --- settings: topics and canned replies ------------------------------------------------------------------


def _settings_page(request: Request, db, status: int = 200, **context) -> Response:
    return render(
        request,
        "operator/support_settings.html",
        status,
        active="support",
        topics=catalog.topics(db),
        canned=list(db.scalars(select(CannedReply).order_by(CannedReply.title))),
        **context,
    )


@router.get("/settings")
def settings_page(request: Request, _who: PageOperator, db: DB) -> Response:
    return _settings_page(request, db)


@router.post("/topics", dependencies=[Csrf])
def topic_save(
    request: Request,
    _who: PageOperator,
    db: DB,
    code: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    first_response_minutes: Annotated[int, Form()] = 240,
) -> Response:
    try:
        catalog.upsert_topic(db, code, title, first_response_minutes)
    except SupportError as exc:
        return _settings_page(request, db, exc.status, error=_error(exc))
    return RedirectResponse("/operator/support/settings", status_code=303)


@router.post("/canned", dependencies=[Csrf])
def canned_add(
    request: Request, _who: PageOperator, db: DB, title: Annotated[str, Form()] = "", text: Annotated[str, Form()] = ""
) -> Response:
    if not title.strip() or not text.strip():
        return _settings_page(request, db, 422, error="title/text: заполните название и текст ответа")
    db.add(CannedReply(title=title.strip()[:200], text=text.strip()))
    return RedirectResponse("/operator/support/settings", status_code=303)


@router.post("/canned/{reply_id}/delete", dependencies=[Csrf])
def canned_delete(reply_id: RowId, _who: PageOperator, db: DB) -> Response:
    found = db.get(CannedReply, reply_id)
    if found is None:
        raise HTTPException(404, "Нет такого ответа")
    db.delete(found)
    return RedirectResponse("/operator/support/settings", status_code=303)


# --- the bot's tree ---------------------------------------------------------------------------------------


def _bot_page(request: Request, db, status: int = 200, **context) -> Response:
    all_nodes = bot.nodes(db)
    return render(
        request,
        "operator/support_bot.html",
        status,
        active="support",
        roots=[n for n in all_nodes if n.parent_id is None],
        kids={n.id: [c for c in all_nodes if c.parent_id == n.id] for n in all_nodes},
        topics=catalog.topics(db),
        **context,
    )


@router.get("/bot")
def bot_page(request: Request, _who: PageOperator, db: DB) -> Response:
    return _bot_page(request, db)


@router.post("/bot", dependencies=[Csrf])
def bot_save(
    request: Request,
    _who: PageOperator,
    db: DB,
    node_id: Annotated[int, Form()] = 0,
    parent_id: Annotated[int, Form()] = 0,
    title: Annotated[str, Form()] = "",
    guidance: Annotated[str, Form()] = "",
    topic_code: Annotated[str, Form()] = "other",
    position: Annotated[int, Form()] = 0,
) -> Response:
    try:
        bot.save_node(db, node_id or None, parent_id or None, title, guidance, topic_code, position)
    except SupportError as exc:
        db.rollback()
        return _bot_page(request, db, exc.status, error=_error(exc))
    return RedirectResponse("/operator/support/bot", status_code=303)


@router.post("/bot/{node_id}/delete", dependencies=[Csrf])
def bot_delete(request: Request, node_id: RowId, _who: PageOperator, db: DB) -> Response:
    try:
        bot.delete_node(db, node_id)
    except SupportError as exc:
        return _bot_page(request, db, exc.status, error=_error(exc))
    return RedirectResponse("/operator/support/bot", status_code=303)


# --- contacts page ----------------------------------------------------------------------------------------


def _contacts_page(request: Request, db, status: int = 200, **context) -> Response:
    return render(
        request,
        "operator/support_contacts.html",
        status,
        active="support",
        cities=contacts.cities(db),
        kinds=contacts.KINDS,
        **context,
    )


@router.get("/contacts")
def contacts_page(request: Request, _who: PageOperator, db: DB) -> Response:
    return _contacts_page(request, db)


@router.post("/contacts/cities", dependencies=[Csrf])
def city_add(request: Request, _who: PageOperator, db: DB, city: Annotated[str, Form()] = "") -> Response:
    try:
        contacts.add_city(db, city)
    except SupportError as exc:
        return _contacts_page(request, db, exc.status, error=_error(exc))
    return RedirectResponse("/operator/support/contacts", status_code=303)


@router.post("/contacts/entries", dependencies=[Csrf])
def entry_add(
    request: Request,
    _who: PageOperator,
    db: DB,
    city_id: Annotated[int, Form()] = 0,
    kind: Annotated[str, Form()] = "phone",
    label: Annotated[str, Form()] = "",
    value: Annotated[str, Form()] = "",
    hours: Annotated[str, Form()] = "",
) -> Response:
    try:
        contacts.add_entry(db, city_id, kind, label, value, hours)
    except SupportError as exc:
        db.rollback()
        return _contacts_page(request, db, exc.status, error=_error(exc))
    return RedirectResponse("/operator/support/contacts", status_code=303)


@router.post("/contacts/entries/{entry_id}/delete", dependencies=[Csrf])
def entry_delete(request: Request, entry_id: RowId, _who: PageOperator, db: DB) -> Response:
    try:
        contacts.delete_entry(db, entry_id)
    except SupportError as exc:
        return _contacts_page(request, db, exc.status, error=_error(exc))
    return RedirectResponse("/operator/support/contacts", status_code=303)


@router.post("/contacts/cities/{city_id}/delete", dependencies=[Csrf])
def city_delete(request: Request, city_id: RowId, _who: PageOperator, db: DB) -> Response:
    try:
        contacts.delete_city(db, city_id)
    except SupportError as exc:
        return _contacts_page(request, db, exc.status, error=_error(exc))
    return RedirectResponse("/operator/support/contacts", status_code=303)


# --- live chats -------------------------------------------------------------------------------------------


def _chat_page(request: Request, db, chat_id: int, status: int = 200, **context) -> Response:
    found = db.get(chat.ChatSession, chat_id)
    if found is None:
        raise HTTPException(404, "Такого чата нет")
    return render(
        request,
        "operator/support_chat.html",
        status,
        active="support",
        chat=found,
        contract=db.get(Contract, found.contract_id),
        messages=chat.messages_after(db, found.id),
        post_url=f"/operator/support/chats/{found.id}/messages",
        **context,
    )


@router.get("/chats/{chat_id}")
def chat_page(request: Request, chat_id: RowId, _who: PageOperator, db: DB) -> Response:
    return _chat_page(request, db, chat_id)


@router.post("/chats/{chat_id}/messages", dependencies=[Csrf])
def chat_post(
    request: Request, chat_id: RowId, who: PageOperator, db: DB, text: Annotated[str, Form()] = ""
) -> Response:
    found = db.get(chat.ChatSession, chat_id)
    if found is None:
        raise HTTPException(404, "Такого чата нет")
    try:
        chat.post(db, found, who, text)
    except SupportError as exc:
        return _chat_page(request, db, chat_id, exc.status, error=exc.reason)
    return RedirectResponse(f"/operator/support/chats/{chat_id}", status_code=303)


@router.post("/chats/{chat_id}/ticket", dependencies=[Csrf])
def chat_to_ticket(request: Request, chat_id: RowId, who: PageOperator, db: DB) -> Response:
    found = db.get(chat.ChatSession, chat_id)
    if found is None:
        raise HTTPException(404, "Такого чата нет")
    try:
        ticket = chat.to_ticket(db, found, _staff(who))
    except SupportError as exc:
        return _chat_page(request, db, chat_id, exc.status, error=exc.reason)
    return RedirectResponse(f"/operator/support/tickets/{ticket.id}", status_code=303)


ROUTERS = (router,)


def _staff(who: Principal) -> int:
    """The operator's id; the Operator guards only let operators through."""
    if who.operator_id is None:
        raise HTTPException(403, "this page is for operators")
    return who.operator_id
