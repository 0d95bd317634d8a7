"""A cap on every request body, enforced before any route reads it.

An over-limit Content-Length is refused with 413 before the application sees the request; a chunked (or
lying) body is counted as it arrives and refused the moment it passes the cap, so no route ever buffers or
parses more than its cap. Routes that need more (box uploads, CSV imports) get a larger cap by path.
"""

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import HTTPException

from cloud_sync.segments import INGEST_PREFIX, MAX_SEGMENT_BYTES

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

DEFAULT_MAX_BODY = 1024 * 1024  # forms, JSON, Forpost calls: far below this
CSV_MAX_BODY = 8 * 1024 * 1024  # an ISP's export of address bindings
# Larger caps by path. The ingest route enforces MAX_SEGMENT_BYTES itself too (after checking the token).
ROUTE_LIMITS: list[tuple[re.Pattern[str], int]] = [
    (re.compile("^" + re.escape(INGEST_PREFIX) + "/"), MAX_SEGMENT_BYTES),
    (re.compile(r"^(/api/v1)?/operator/ip-bindings/import$"), CSV_MAX_BODY),
    (re.compile(r"^/api/v1/operator/ota/bundles$"), 512 * 1024 * 1024),  # a signed OTA bundle (wheels)
    (re.compile(r"^/operator/ota/bundles$"), 512 * 1024 * 1024 + 64 * 1024),  # the same, as a console form file
]


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a body passes its cap; FastAPI and Starlette answer it as a 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body exceeds the limit of {limit} bytes")


def limit_for(path: str, default: int = DEFAULT_MAX_BODY) -> int:
    return next((limit for pattern, limit in ROUTE_LIMITS if pattern.match(path)), default)


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, default: int = DEFAULT_MAX_BODY) -> None:
        self.app, self.default = app, default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope["path"], self.default)
        declared = _content_length(scope)
        if declared is None:
            await _refuse(send, 400, "Content-Length: not a number")
            return
        if declared > limit:
            await _refuse(send, 413, f"request body exceeds the limit of {limit} bytes")
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BodyTooLarge as exc:  # a route that let it escape; answer it unless an answer is under way
            if started:
                raise
            await _refuse(send, 413, exc.detail)


def _content_length(scope: Scope) -> int | None:
    """The declared length, 0 when none is declared, None when it is not a number."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() and len(text) < 19 else None
    return 0


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": [*headers, (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
