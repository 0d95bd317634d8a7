"""Staff's JSON API for the support desk (/api/v1/operator/support/…): the queue, a ticket's full thread
(internal notes included), replies. The console pages in operator_support.py do the same for people."""

from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile

from portal.auth.sessions import Principal
from portal.deps import DB, Operator, services
from portal.models.support import Ticket
from portal.notify.outbox import Policy
from portal.params import RowId
from portal.support import catalog, tickets
from portal.support.errors import SupportError
from portal.support.views import http_error, iso, read_uploads, ticket_detail, ticket_summary

router = APIRouter(prefix="/api/v1/operator/support", tags=["operator support"])


@router.get("/tickets")
def queue(
    _who: Operator,
    db: DB,
    state: str = "",
    topic: str = "",
    address: str = "",
    assignee: str = "",
    overdue: bool = False,
    kind: str = "",
) -> dict:
    """The staff queue, soonest first-response due first; closed tickets only when `state=closed`."""
    titles = catalog.topic_titles(db)
    items = tickets.queue(db, tickets.QueueFilter(state, topic, address, assignee, overdue, kind))
    return {
        "tickets": [
            ticket_summary(t, titles)
            | {
                "address": t.address,
                "phone": t.phone,
                "assignee_id": t.assignee_id,
                "first_response_due": iso(t.first_response_due),
                "overdue": tickets.is_overdue(t),
            }
            for t in items
        ]
    }


@router.get("/tickets/{ticket_id}")
def ticket(ticket_id: RowId, _who: Operator, db: DB) -> dict:
    found = db.get(Ticket, ticket_id)
    if found is None:
        raise HTTPException(404, "no such ticket")
    detail = ticket_detail(found, catalog.topic_titles(db), tickets.thread(db, found, staff=True))
    return detail | {"contract_id": found.contract_id, "assignee_id": found.assignee_id, "email": found.email}


@router.post("/tickets/{ticket_id}/messages", status_code=201)
def reply(
    request: Request,
    ticket_id: RowId,
    who: Operator,
    db: DB,
    text: Annotated[str, Form()] = "",
    internal: Annotated[bool, Form(description="a staff-only note; the subscriber is not told")] = False,
    status: Annotated[str, Form(description="state after the reply; default waiting")] = "",
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> dict:
    found = db.get(Ticket, ticket_id)
    if found is None:
        raise HTTPException(404, "no such ticket")
    svc = services(request)
    try:
        uploads = read_uploads(files, svc.settings.support_max_file_bytes)
        message = tickets.staff_reply(
            db, svc.storage, Policy.from_settings(svc.settings), found, _staff(who), text, uploads,
            internal=internal, status=status,
        )  # fmt: skip
    except SupportError as exc:
        raise http_error(exc) from None
    return {"id": message.id, "status": found.status}


ROUTERS = (router,)


def _staff(who: Principal) -> int:
    """The operator's id; the Operator guards only let operators through."""
    if who.operator_id is None:
        raise HTTPException(403, "this page is for operators")
    return who.operator_id
