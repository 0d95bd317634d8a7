"""Live chat with staff: the subscriber's page, the JSON API and the WebSocket both sides use.

Delivery between workers goes through the database: every socket's worker polls `support_chat_messages`
for ids above the last it sent (support.chat.POLL_SECONDS), so the subscriber and the operator may be
served by different portal processes. The page renders the whole history, so a reload after the socket
dropped shows everything; the plain form POST works with no socket at all.
"""

import asyncio
import contextlib
import json
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, HTTPException, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from portal.auth.sessions import SESSION_COOKIE, Principal, resolve
from portal.deps import DB, AnyPrincipal, Subscriber
from portal.models import Contract
from portal.params import AfterId, RowId
from portal.support import chat
from portal.support.errors import SupportError
from portal.support.views import http_error
from portal.web.csrf import verify_csrf
from portal.web.guards import PageSubscriber
from portal.web.templating import render

api = APIRouter(prefix="/api/v1/support", tags=["support chat"])
pages = APIRouter(tags=["support pages"], include_in_schema=False)
Csrf = Depends(verify_csrf)


@api.get("/chat")
def my_chat(who: Subscriber, db: DB) -> dict:
    """The caller's open chat (made on first use) with its whole history."""
    current = chat.open_chat_of(db, who.contract_id)
    return {
        "id": current.id,
        "status": current.status,
        "messages": [chat.as_json(m) for m in chat.messages_after(db, current.id)],
    }


@api.get("/chats/{chat_id}/messages")
def chat_messages(chat_id: RowId, who: AnyPrincipal, db: DB, after: AfterId = 0) -> dict:
    """Messages after id `after`: the polling fallback when a socket cannot be opened."""
    found = chat.chat_for(db, who, chat_id)
    if found is None:
        raise HTTPException(404, "no such chat")
    return {
        "id": found.id,
        "status": found.status,
        "messages": [chat.as_json(m) for m in chat.messages_after(db, chat_id, after)],
    }


@api.post("/chats/{chat_id}/messages", status_code=201)
def chat_post(chat_id: RowId, who: AnyPrincipal, db: DB, text: Annotated[str, Form()] = "") -> dict:
    found = chat.chat_for(db, who, chat_id)
    if found is None:
        raise HTTPException(404, "no such chat")
    try:
        return chat.as_json(chat.post(db, found, who, text))
    except SupportError as exc:
        raise http_error(exc) from None


def _authorise(services, token: str | None, chat_id: int) -> Principal | None:
    if not token:
        return None
    with services.db.session() as db:
        who = resolve(db, token)
        return who if who is not None and chat.chat_for(db, who, chat_id) is not None else None


def _fetch(services, chat_id: int, after: int) -> list[dict]:
    with services.db.session() as db:
        return [chat.as_json(m) for m in chat.messages_after(db, chat_id, after, limit=100)]


def _post(services, who: Principal, chat_id: int, text: str) -> str | None:
    with services.db.session() as db:
        found = chat.chat_for(db, who, chat_id)
        if found is None:
            return "chat: no such chat"
        try:
            chat.post(db, found, who, text)
        except SupportError as exc:
            return f"{exc.field}: {exc.reason}"
    return None


def _same_origin(websocket: WebSocket) -> bool:
    """A WebSocket carries cookies cross-site; only pages of this portal may open one."""
    origin = websocket.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == websocket.headers.get("host")


@api.websocket("/chats/{chat_id}/ws")
async def chat_socket(websocket: WebSocket, chat_id: RowId, after: AfterId = 0) -> None:
    """Server → client: {"id","author","text","at"} per message after `after`; client → server: {"text"}."""
    services = websocket.app.state.services
    token = websocket.cookies.get(SESSION_COOKIE)
    who = await run_in_threadpool(_authorise, services, token, chat_id)
    if who is None or not _same_origin(websocket):
        await websocket.close(code=1008)
        return
    await websocket.accept()

    async def deliver() -> None:
        last, polls = after, 0
        while True:
            for item in await run_in_threadpool(_fetch, services, chat_id, last):
                await websocket.send_json(item)
                last = item["id"]
            polls += 1
            if (
                polls % chat.RECHECK_POLLS == 0
                and await run_in_threadpool(_authorise, services, token, chat_id) is None
            ):
                await websocket.close(code=1008)  # logged out or expired since the socket opened
                return
            await asyncio.sleep(chat.POLL_SECONDS)

    sender = asyncio.create_task(deliver())
    try:
        while True:
            raw = await websocket.receive_text()
            try:
                text = str(json.loads(raw).get("text", ""))
            except (ValueError, AttributeError):
                await websocket.send_json({"error": 'text: send {"text": "..."}'})
                continue
            error = await run_in_threadpool(_post, services, who, chat_id, text)
            if error:
                await websocket.send_json({"error": error})
    except WebSocketDisconnect:
        pass
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender


@pages.get("/support/chat")
def chat_page(request: Request, who: PageSubscriber, db: DB) -> Response:
    current = chat.open_chat_of(db, who.contract_id)
    contract = db.get(Contract, who.contract_id)
    return render(
        request,
        "support/chat.html",
        active="support",
        tz=contract.tz if contract is not None else "UTC",
        chat=current,
        messages=chat.messages_after(db, current.id),
        post_url="/support/chat/messages",
    )


@pages.post("/support/chat/messages", dependencies=[Csrf])
def chat_page_post(request: Request, who: PageSubscriber, db: DB, text: Annotated[str, Form()] = "") -> Response:
    """The no-socket path: a plain form post, then the page shows the whole history again."""
    current = chat.open_chat_of(db, who.contract_id)
    try:
        chat.post(db, current, who, text)
    except SupportError as exc:
        return render(
            request,
            "support/chat.html",
            exc.status,
            active="support",
            chat=current,
            messages=chat.messages_after(db, current.id),
            post_url="/support/chat/messages",
            error=exc.reason,
        )
    return RedirectResponse("/support/chat", status_code=303)


ROUTERS = (api, pages)
