"""Support desk JSON API (/api/v1/support/…, /api/v1/contacts): topics, the bot's tree, the caller's
tickets and their threads, attachments, visitor requests. Logic lives in portal/support/."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse, Response, StreamingResponse

from portal.archive.storage import ObjectNotFound
from portal.auth.client_ip import client_ip
from portal.deps import DB, AnyPrincipal, Subscriber, services
from portal.models.support import BotNode
from portal.params import RowId
from portal.support import bot, catalog, contacts, public, tickets
from portal.support.clips import clip_upload
from portal.support.errors import SupportError
from portal.support.views import http_error, read_uploads, ticket_detail, ticket_summary

router = APIRouter(prefix="/api/v1/support", tags=["support"])
contacts_api = APIRouter(prefix="/api/v1", tags=["support"])
Files = Annotated[list[UploadFile] | None, File(description="Up to 10: images, PDF, video clips")]


def storage(request: Request):
    return services(request).storage


def max_bytes(request: Request) -> int:
    return services(request).settings.support_max_file_bytes


@router.get("/topics")
def list_topics(db: DB) -> dict:
    """The form's topics (the dropdown, «Другое» included) and the seed's checkbox choices."""
    items = [
        {"code": t.code, "title": t.title, "first_response_minutes": t.first_response_minutes}
        for t in catalog.topics(db)
    ]
    return {"topics": items, "choices": catalog.CHOICES}


@router.get("/bot")
def bot_tree(db: DB) -> dict:
    """Sections → topics → guidance, as operators edited them."""
    return {"sections": bot.tree(db)}


@router.post("/tickets", status_code=201)
def create_ticket(
    request: Request,
    who: Subscriber,
    db: DB,
    name: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    topic: Annotated[str, Form()] = "",
    address: Annotated[str, Form()] = "",
    camera_ids: Annotated[list[str] | None, Form()] = None,
    camera_provider: Annotated[str, Form()] = "",
    cameras_online: Annotated[str, Form(description="yes | no | unknown")] = "",
    mounting_height: Annotated[str, Form()] = "",
    camera_supplier: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    clip_camera: Annotated[str, Form(description="attach a clip of this camera's archive")] = "",
    clip_start: Annotated[str, Form(description="ISO 8601 UTC")] = "",
    clip_duration: Annotated[int, Form(description="seconds, up to 600")] = 60,
    files: Files = None,
) -> dict:
    """The seed's support form → a ticket. A bad field → 422 naming it; nothing is stored then."""
    form = tickets.TicketForm(
        name, phone, topic, address, camera_ids or [], camera_provider, cameras_online, mounting_height,
        camera_supplier, text,
    )  # fmt: skip
    try:
        checked = tickets.check_form(db, who, form)
        uploads = read_uploads(files, max_bytes(request))
        if clip_camera:
            uploads.append(clip_upload(request, db, who, clip_camera, clip_start, clip_duration, len(uploads)))
        ticket = tickets.open_ticket(
            db,
            storage(request),
            kind="form",
            first_text=checked.text,
            uploads=uploads,
            author="subscriber",
            contract_id=who.contract_id,
            topic_code=checked.topic,
            name=checked.name,
            phone=checked.phone,
            address=checked.address,
            camera_ids=checked.camera_ids,
            camera_provider=checked.camera_provider,
            cameras_online=checked.cameras_online,
            mounting_height=checked.mounting_height,
            camera_supplier=checked.camera_supplier,
            ip=client_ip(request)[:64],
        )
    except SupportError as exc:
        raise http_error(exc) from None
    return {"id": ticket.id, "status": ticket.status}


@router.get("/tickets")
def my_tickets(who: Subscriber, db: DB) -> dict:
    titles = catalog.topic_titles(db)
    return {"tickets": [ticket_summary(t, titles) for t in tickets.tickets_of(db, who.contract_id)]}


@router.get("/tickets/{ticket_id}")
def ticket(ticket_id: RowId, who: Subscriber, db: DB) -> dict:
    found = tickets.own_ticket(db, who, ticket_id)
    if found is None:
        raise HTTPException(404, "no such ticket")
    return ticket_detail(found, catalog.topic_titles(db), tickets.thread(db, found, staff=False))


@router.post("/tickets/{ticket_id}/messages", status_code=201)
def reply(
    request: Request,
    ticket_id: RowId,
    who: Subscriber,
    db: DB,
    text: Annotated[str, Form()] = "",
    files: Files = None,
) -> dict:
    found = tickets.own_ticket(db, who, ticket_id)
    if found is None:
        raise HTTPException(404, "no such ticket")
    try:
        message = tickets.subscriber_reply(db, storage(request), found, text, read_uploads(files, max_bytes(request)))
    except SupportError as exc:
        raise http_error(exc) from None
    return {"id": message.id, "status": found.status}


@router.post("/bot/{node_id}/tickets", status_code=201)
def bot_ticket(
    request: Request,
    node_id: RowId,
    who: Subscriber,
    db: DB,
    text: Annotated[str, Form()] = "",
    files: Files = None,
) -> dict:
    """The bot's last step: free text + files under the chosen topic → a ticket with section and topic filled."""
    node = db.get(BotNode, node_id)
    if node is None:
        raise HTTPException(404, "no such bot topic")
    try:
        uploads = read_uploads(files, max_bytes(request))
        ticket = bot.open_bot_ticket(db, storage(request), who, node, text, uploads, client_ip(request))
    except SupportError as exc:
        raise http_error(exc) from None
    return {"id": ticket.id, "status": ticket.status}


@router.get(
    "/attachments/{attachment_id}",
    responses={200: {"content": {"application/octet-stream": {}}, "description": "always a download"}},
)
def attachment(request: Request, attachment_id: RowId, who: AnyPrincipal, db: DB) -> Response:
    """Only the ticket's contract and staff; always `attachment`, never rendered inline by the browser."""
    item = tickets.attachment_for(db, who, attachment_id)
    if item is None:
        raise HTTPException(404, "no such attachment")
    try:
        chunks = storage(request).get(item.key)
    except ObjectNotFound:
        raise HTTPException(404, "the attachment's file is gone") from None
    ascii_name = item.filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    headers = {
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(item.filename)}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "Cache-Control": "private, no-store",
    }
    return StreamingResponse(chunks, media_type=item.content_type, headers=headers)


def _visitor(request: Request, db, req: public.VisitorRequest) -> Response:
    try:
        ticket = public.submit(db, services(request).settings, req, client_ip(request))
    except public.RateLimited as exc:
        return JSONResponse({"detail": f"{exc.field}: {exc.reason}"}, status_code=429)
    except SupportError as exc:
        raise http_error(exc) from None
    # A honeypot hit looks accepted, so the bot learns nothing.
    return JSONResponse({"id": ticket.id if ticket else None, "status": "new"}, status_code=201)


@router.post("/callback", status_code=201)
def callback(
    request: Request,
    db: DB,
    phone: Annotated[str, Form()] = "",
    preferred_time: Annotated[str, Form(description="convenient time to call")] = "",
    name: Annotated[str, Form()] = "",
    website: Annotated[str, Form(description="honeypot: leave empty")] = "",
) -> Response:
    """Call-back request; open to visitors. Limited per IP and per phone."""
    return _visitor(
        request, db, public.VisitorRequest("callback", phone, name, preferred_time=preferred_time, honeypot=website)
    )


@router.post("/feedback", status_code=201)
def feedback(
    request: Request,
    db: DB,
    name: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    question: Annotated[str, Form()] = "",
    website: Annotated[str, Form(description="honeypot: leave empty")] = "",
) -> Response:
    """Seed 001's «Обратная связь»: name, phone, e-mail, the question; open to visitors."""
    return _visitor(request, db, public.VisitorRequest("feedback", phone, name, email, question, honeypot=website))


@router.post("/connect", status_code=201)
def connect(
    request: Request,
    db: DB,
    phone: Annotated[str, Form()] = "",
    website: Annotated[str, Form(description="honeypot: leave empty")] = "",
) -> Response:
    """Seed 001's «Подключиться»: a prospective subscriber leaves a phone number."""
    return _visitor(request, db, public.VisitorRequest("connect", phone, honeypot=website))


@contacts_api.get("/contacts")
def contact_list(db: DB) -> dict:
    """Contact-centre numbers and offices per city; no login needed."""
    return {"cities": contacts.as_json(db)}


ROUTERS = (router, contacts_api)
