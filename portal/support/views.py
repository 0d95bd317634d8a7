"""JSON shapes of the desk's objects (the API) and reading uploads from a request, shared by the routers."""

from fastapi import HTTPException, UploadFile

from portal.models.support import Ticket, TicketAttachment, TicketMessage
from portal.support import catalog
from portal.support.errors import SupportError
from portal.support.files import MAX_FILES, Upload, check_files


def iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def attachment_url(item: TicketAttachment) -> str:
    return f"/api/v1/support/attachments/{item.id}"


def ticket_summary(ticket: Ticket, titles: dict[str, str]) -> dict:
    return {
        "id": ticket.id,
        "status": ticket.status,
        "status_title": catalog.STATUSES.get(ticket.status, ticket.status),
        "kind": ticket.kind,
        "topic": ticket.topic_code,
        "topic_title": titles.get(ticket.topic_code, ticket.topic_code),
        "section": ticket.section,
        "bot_topic": ticket.bot_topic,
        "created_at": iso(ticket.created_at),
        "updated_at": iso(ticket.updated_at),
    }


def ticket_detail(ticket: Ticket, titles: dict[str, str], messages: list[tuple[TicketMessage, list]]) -> dict:
    return ticket_summary(ticket, titles) | {
        "name": ticket.name,
        "phone": ticket.phone,
        "address": ticket.address,
        "camera_ids": ticket.camera_ids or [],
        "camera_provider": ticket.camera_provider,
        "cameras_online": ticket.cameras_online,
        "mounting_height": ticket.mounting_height,
        "camera_supplier": ticket.camera_supplier,
        "first_response_due": iso(ticket.first_response_due),
        "messages": [
            {
                "id": m.id,
                "author": m.author,
                "internal": m.internal,
                "text": m.text,
                "at": iso(m.created_at),
                "attachments": [
                    {
                        "id": a.id,
                        "filename": a.filename,
                        "content_type": a.content_type,
                        "size": a.size,
                        "url": attachment_url(a),
                    }
                    for a in files
                ],
            }
            for m, files in messages
        ],
    }


def read_uploads(files: list[UploadFile] | None, max_bytes: int) -> list[Upload]:
    """Check every file of a message (count, name, size, sniffed type) before anything is stored.

    Sync on purpose: handlers are plain `def` (run in the threadpool) and UploadFile.file is a spooled file.
    A browser's empty file input arrives as a part with no name and no bytes: that is "no file", not an error.
    """
    raw: list[tuple[str, bytes]] = []
    for item in files or []:
        if not item.filename and (item.size or 0) == 0:
            continue
        if len(raw) >= MAX_FILES:
            raise SupportError("files", f"не больше {MAX_FILES} файлов в одном сообщении")
        item.file.seek(0)
        raw.append((item.filename or "", item.file.read(max_bytes + 1)))
    return check_files(raw, max_bytes)


def http_error(exc: SupportError) -> HTTPException:
    if exc.status == 422:
        return HTTPException(422, exc.detail())
    return HTTPException(exc.status, f"{exc.field}: {exc.reason}")
