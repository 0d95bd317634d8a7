"""The subscriber's account pages: contacts (phones and e-mails, added with a confirmation code) and sessions.

Changing contacts needs a password session (PagePasswordSubscriber): a transparent login by network address
must not bind its own phone and then reset the password with it.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from portal.cabinet import contacts
from portal.cabinet.contracts import contract_tz, emails_of, phones_of
from portal.cabinet.errors import FieldError
from portal.cabinet.my_sessions import KIND_NAMES, active_sessions, revoke_own
from portal.deps import DB
from portal.models import ContactConfirmation
from portal.params import RowId
from portal.web.csrf import verify_csrf
from portal.web.guards import PagePasswordSubscriber, PageSubscriber
from portal.web.templating import render

router = APIRouter(prefix="/account", tags=["cabinet account"])
Csrf = Depends(verify_csrf)
FIELD_NAMES = {"phone": "Телефон", "email": "Почта", "code": "Код", "kind": "Контакт"}


def _contacts_page(request: Request, db: DB, contract_id: int, status: int = 200, **context: object) -> Response:
    return render(
        request,
        "account/contacts.html",
        status,
        active="contacts",
        tz=contract_tz(db, contract_id),
        phones=phones_of(db, contract_id),
        emails=emails_of(db, contract_id),
        **context,
    )


def _error(exc: FieldError) -> str:
    return f"{FIELD_NAMES.get(exc.field, exc.field)}: {exc.reason}"


@router.get("/contacts")
def contacts_page(request: Request, who: PageSubscriber, db: DB) -> Response:
    return _contacts_page(request, db, who.contract_id, needs_password=not who.password_authenticated)


@router.post("/contacts/add", dependencies=[Csrf])
def contact_add(
    request: Request,
    who: PagePasswordSubscriber,
    db: DB,
    kind: Annotated[str, Form()] = "",
    value: Annotated[str, Form()] = "",
) -> Response:
    try:
        pending = contacts.request_contact(db, who.contract_id, kind, value)
    except FieldError as exc:
        return _contacts_page(request, db, who.contract_id, 400, error=_error(exc))
    where = "по SMS на номер" if kind == "phone" else "письмом на адрес"
    return _contacts_page(
        request, db, who.contract_id, pending=pending, notice=f"Код подтверждения отправлен {where} {pending.value}"
    )


@router.post("/contacts/confirm", dependencies=[Csrf])
def contact_confirm(
    request: Request,
    who: PagePasswordSubscriber,
    db: DB,
    confirmation: Annotated[int, Form()] = 0,
    code: Annotated[str, Form()] = "",
) -> Response:
    try:
        value = contacts.confirm_contact(db, who.contract_id, confirmation, code)
    except FieldError as exc:
        pending = db.get(ContactConfirmation, confirmation)
        pending = pending if pending and pending.contract_id == who.contract_id and not pending.used_at else None
        return _contacts_page(request, db, who.contract_id, 400, error=_error(exc), pending=pending)
    return _contacts_page(request, db, who.contract_id, notice=f"{value} привязан к договору")


@router.post("/contacts/phones/{phone_id}/delete", dependencies=[Csrf])
def phone_delete(request: Request, phone_id: RowId, who: PagePasswordSubscriber, db: DB) -> Response:
    try:
        contacts.remove_phone(db, who.contract_id, phone_id)
    except FieldError as exc:
        return _contacts_page(request, db, who.contract_id, 400, error=_error(exc))
    return RedirectResponse("/account/contacts", status_code=303)


@router.post("/contacts/emails/{email_id}/delete", dependencies=[Csrf])
def email_delete(request: Request, email_id: RowId, who: PagePasswordSubscriber, db: DB) -> Response:
    try:
        contacts.remove_email(db, who.contract_id, email_id)
    except FieldError as exc:
        return _contacts_page(request, db, who.contract_id, 400, error=_error(exc))
    return RedirectResponse("/account/contacts", status_code=303)


@router.get("/sessions")
def sessions_page(request: Request, who: PageSubscriber, db: DB) -> Response:
    return render(
        request,
        "account/sessions.html",
        active="sessions",
        tz=contract_tz(db, who.contract_id),
        sessions=active_sessions(db, who.contract_id),
        current=who.session_id,
        kinds=KIND_NAMES,
    )


@router.post("/sessions/{session_id}/revoke", dependencies=[Csrf])
def session_revoke(request: Request, session_id: RowId, who: PageSubscriber, db: DB) -> Response:
    try:
        revoke_own(db, who.contract_id, session_id)
    except FieldError as exc:
        return render(
            request,
            "account/sessions.html",
            404,
            active="sessions",
            error=f"Сеанс: {exc.reason}",
            sessions=active_sessions(db, who.contract_id),
            current=who.session_id,
            kinds=KIND_NAMES,
        )
    target = "/login" if session_id == who.session_id else "/account/sessions"
    return RedirectResponse(target, status_code=303)
