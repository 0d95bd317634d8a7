"""Support desk pages: the subscriber's tickets, the seed's form, the chat bot; the visitors' call-back,
feedback and "connect me" forms and the contacts page (no login). Every write goes through the JSON API's
handlers in portal/routers/support.py, so pages and API answer bad input the same way."""

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from portal.access import visible_cameras
from portal.auth.client_ip import client_ip
from portal.deps import DB, services
from portal.models import Contract, ContractPhone
from portal.models.support import BotNode
from portal.params import RowId
from portal.routers import support as api
from portal.support import bot, catalog, contacts, public, tickets
from portal.support.errors import SupportError
from portal.support.files import ACCEPT, MAX_FILES
from portal.web.csrf import verify_csrf
from portal.web.guards import PageSubscriber
from portal.web.templating import render, zone

router = APIRouter(tags=["support pages"], include_in_schema=False)
Csrf = Depends(verify_csrf)
Files = Annotated[list[UploadFile] | None, File()]
FIELD_TITLES = {
    "name": "Ваше имя",
    "phone": "Ваш контактный номер телефона",
    "topic": "Тема обращения",
    "address": "Адрес объекта",
    "camera_ids": "Камеры, с которыми возникла проблема",
    "camera_provider": "Провайдер интернета",
    "cameras_online": "Наличие доступа в Интернет",
    "mounting_height": "Высота установки",
    "camera_supplier": "Поставщик камер",
    "text": "Текст обращения",
    "files": "Вложения",
    "clip_camera": "Клип из архива: камера",
    "clip_start": "Клип из архива: начало",
    "clip_duration": "Клип из архива: длительность",
    "email": "Электронная почта",
    "question": "Вопрос",
    "preferred_time": "Удобное время",
}


def error_text(exc: HTTPException) -> str:
    if isinstance(exc.detail, list) and exc.detail:
        first = exc.detail[0]
        field = str(first.get("loc", ["", ""])[-1])
        return f"{FIELD_TITLES.get(field, field)}: {first.get('msg', '')}"
    return str(exc.detail)


def _tz(db, who) -> str:
    contract = db.get(Contract, who.contract_id)
    return contract.tz if contract else "UTC"


def _common(db) -> dict:
    return {"max_files": MAX_FILES, "accept": ACCEPT, "statuses": catalog.STATUSES, "titles": catalog.topic_titles(db)}


@router.get("/support")
def support_home(request: Request, who: PageSubscriber, db: DB) -> Response:
    return render(
        request,
        "support/home.html",
        active="support",
        tz=_tz(db, who),
        tickets=tickets.tickets_of(db, who.contract_id),
        **_common(db),
    )


def _form_page(request: Request, db, who, status: int = 200, **context) -> Response:
    contract = db.get(Contract, who.contract_id)
    phone = db.scalar(select(ContractPhone.phone).where(ContractPhone.contract_id == who.contract_id)) or ""
    defaults = {"name": contract.name, "phone": phone, "address": contract.address.full if contract.address else ""}
    context.setdefault("form", defaults)
    return render(
        request,
        "support/new.html",
        status,
        active="support",
        tz=contract.tz,
        topics=catalog.topics(db),
        cameras=visible_cameras(db, who),
        choices=catalog.CHOICES,
        **_common(db),
        **context,
    )


@router.get("/support/new")
def new_ticket_page(request: Request, who: PageSubscriber, db: DB) -> Response:
    return _form_page(request, db, who)


def _local_to_utc(value: str, tz: str) -> str:
    """The form's datetime-local is the subscriber's wall clock; the API takes UTC."""
    if not value:
        return ""
    try:
        local = datetime.fromisoformat(value).replace(tzinfo=zone(tz))
    except ValueError:
        return value
    return local.astimezone(ZoneInfo("UTC")).isoformat()


@router.post("/support/new", dependencies=[Csrf])
def new_ticket(
    request: Request,
    who: PageSubscriber,
    db: DB,
    name: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    topic: Annotated[str, Form()] = "",
    address: Annotated[str, Form()] = "",
    camera_ids: Annotated[list[str] | None, Form()] = None,
    camera_provider: Annotated[str, Form()] = "",
    cameras_online: Annotated[str, Form()] = "",
    mounting_height: Annotated[str, Form()] = "",
    camera_supplier: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    clip_camera: Annotated[str, Form()] = "",
    clip_start: Annotated[str, Form()] = "",
    clip_duration: Annotated[int, Form()] = 60,
    files: Files = None,
) -> Response:
    form: dict[str, Any] = {
        "name": name,
        "phone": phone,
        "topic": topic,
        "address": address,
        "camera_ids": camera_ids or [],
        "camera_provider": camera_provider,
        "cameras_online": cameras_online,
        "mounting_height": mounting_height,
        "camera_supplier": camera_supplier,
        "text": text,
    }
    try:
        created = api.create_ticket(
            request, who, db, **form, clip_camera=clip_camera,
            clip_start=_local_to_utc(clip_start, _tz(db, who)), clip_duration=clip_duration, files=files,
        )  # fmt: skip
    except HTTPException as exc:
        db.rollback()
        return _form_page(request, db, who, exc.status_code, form=form, error=error_text(exc))
    return RedirectResponse(f"/support/tickets/{created['id']}?sent=1", status_code=303)


def _ticket_page(request: Request, db, who, ticket_id: int, status: int = 200, **context) -> Response:
    found = tickets.own_ticket(db, who, ticket_id)
    if found is None:
        raise HTTPException(404, "Такого обращения нет")
    if request.query_params.get("sent"):
        context.setdefault("notice", f"Обращение №{found.id} отправлено. Сотрудник поддержки свяжется с вами.")
    return render(
        request,
        "support/ticket.html",
        status,
        active="support",
        tz=_tz(db, who),
        ticket=found,
        thread=tickets.thread(db, found, staff=False),
        choices=catalog.CHOICES,
        **_common(db),
        **context,
    )


@router.get("/support/tickets/{ticket_id}")
def ticket_page(request: Request, ticket_id: RowId, who: PageSubscriber, db: DB) -> Response:
    return _ticket_page(request, db, who, ticket_id)


@router.post("/support/tickets/{ticket_id}/reply", dependencies=[Csrf])
def ticket_reply(
    request: Request,
    ticket_id: RowId,
    who: PageSubscriber,
    db: DB,
    text: Annotated[str, Form()] = "",
    files: Files = None,
) -> Response:
    try:
        api.reply(request, ticket_id, who, db, text=text, files=files)
    except HTTPException as exc:
        if exc.status_code == 404:
            raise
        db.rollback()
        return _ticket_page(request, db, who, ticket_id, exc.status_code, error=error_text(exc), reply_text=text)
    return RedirectResponse(f"/support/tickets/{ticket_id}", status_code=303)


@router.get("/support/bot")
def bot_page(request: Request, who: PageSubscriber, db: DB, node: int = 0) -> Response:
    current = db.get(BotNode, node) if node else None
    if node and current is None:
        raise HTTPException(404, "Такого раздела нет")
    return render(
        request,
        "support/bot.html",
        active="support",
        tz=_tz(db, who),
        node=current,
        path=bot.path_to(db, current) if current else [],
        items=bot.children(db, current.id if current else None),
        **_common(db),
    )


@router.post("/support/bot/{node_id}", dependencies=[Csrf])
def bot_send(
    request: Request,
    node_id: RowId,
    who: PageSubscriber,
    db: DB,
    text: Annotated[str, Form()] = "",
    files: Files = None,
) -> Response:
    try:
        created = api.bot_ticket(request, node_id, who, db, text=text, files=files)
    except HTTPException as exc:
        if exc.status_code == 404:
            raise
        db.rollback()
        current = db.get(BotNode, node_id)
        if current is None:
            raise
        return render(
            request,
            "support/bot.html",
            exc.status_code,
            active="support",
            node=current,
            path=bot.path_to(db, current),
            items=bot.children(db, current.id),
            error=error_text(exc),
            **_common(db),
        )
    return RedirectResponse(f"/support/tickets/{created['id']}?sent=1", status_code=303)


# --- open to everyone -------------------------------------------------------------------------------------


@router.get("/contacts")
def contacts_page(request: Request, db: DB) -> Response:
    return render(request, "support/contacts.html", active="support_contacts", cities=contacts.cities(db))


VISITOR_FORMS = {
    "callback": ("Обратный звонок", "Оставьте номер — мы перезвоним в удобное время."),
    "feedback": ("Обратная связь", "Задайте вопрос — ответим по телефону или на e-mail."),
    "connect": (
        "Подключиться",
        "Впишите свой номер телефона — оператор свяжется с вами и объяснит, как действовать дальше.",
    ),
}


def _visitor_page(request: Request, kind: str, status: int = 200, **context) -> Response:
    title, lead = VISITOR_FORMS[kind]
    return render(request, "support/visitor.html", status, kind=kind, title=title, lead=lead, **context)


def _visitor_submit(request: Request, db, kind: str, **fields: str) -> Response:
    form = dict(fields)
    honeypot = form.pop("website", "")
    req = public.VisitorRequest(kind, honeypot=honeypot, **form)
    try:
        ticket = public.submit(db, services(request).settings, req, client_ip(request))
    except SupportError as exc:
        db.rollback()
        message = f"{FIELD_TITLES.get(exc.field, exc.field)}: {exc.reason}" if exc.status == 422 else exc.reason
        return _visitor_page(request, kind, exc.status, error=message, form=form)
    number = f" №{ticket.id}" if ticket else ""
    return _visitor_page(request, kind, 200, done=True, notice=f"Заявка{number} принята. Мы свяжемся с вами.")


@router.get("/support/callback")
def callback_page(request: Request) -> Response:
    return _visitor_page(request, "callback")


@router.post("/support/callback", dependencies=[Csrf])
def callback_send(
    request: Request,
    db: DB,
    phone: Annotated[str, Form()] = "",
    preferred_time: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    website: Annotated[str, Form()] = "",
) -> Response:
    return _visitor_submit(
        request, db, "callback", phone=phone, preferred_time=preferred_time, name=name, website=website
    )


@router.get("/support/feedback")
def feedback_page(request: Request) -> Response:
    return _visitor_page(request, "feedback")


@router.post("/support/feedback", dependencies=[Csrf])
def feedback_send(
    request: Request,
    db: DB,
    name: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    question: Annotated[str, Form()] = "",
    website: Annotated[str, Form()] = "",
) -> Response:
    return _visitor_submit(
        request, db, "feedback", name=name, phone=phone, email=email, question=question, website=website
    )


@router.get("/connect")
def connect_page(request: Request) -> Response:
    return _visitor_page(request, "connect")


@router.post("/connect", dependencies=[Csrf])
def connect_send(
    request: Request, db: DB, phone: Annotated[str, Form()] = "", website: Annotated[str, Form()] = ""
) -> Response:
    return _visitor_submit(request, db, "connect", phone=phone, website=website)


ROUTERS = (router,)
