"""The HTTP answer for a progressive MP4 (portal.archive.progressive.Layout): 200 / 206 / 416, ETag, If-Range."""

from urllib.parse import quote

import anyio
from fastapi import Request, Response
from fastapi.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from portal.archive.byte_ranges import Unsatisfiable, requested
from portal.archive.progressive import FilePart, Layout, file_parts
from portal.archive.storage import ObjectNotFound, Storage
from portal.zerocopy import ZEROCOPY


def disposition(filename: str, inline: bool = False) -> str:
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def file_response(request: Request, storage: Storage, plan: Layout, filename: str, inline: bool = False) -> Response:
    """The file or the one byte range asked for; HEAD gets the headers only (size for download managers)."""
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": plan.etag,
        "Content-Disposition": disposition(filename, inline),
        "Cache-Control": "private, no-cache",  # revalidate: access is re-checked on every request
        "X-Content-Duration": f"{plan.duration:.3f}",
    }
    try:
        wanted = requested(request.headers.get("range"), request.headers.get("if-range"), plan.etag, plan.size)
    except Unsatisfiable:
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{plan.size}"})
    first, last = wanted if wanted is not None else (0, plan.size - 1)
    status = 206 if wanted is not None else 200
    headers["Content-Length"] = str(last - first + 1)
    if wanted is not None:
        headers["Content-Range"] = f"bytes {first}-{last}/{plan.size}"
    if request.method == "HEAD":
        return Response(status_code=status, headers=headers, media_type="video/mp4")
    if ZEROCOPY in request.scope.get("extensions", {}) and (parts := file_parts(storage, plan, first, last)):
        return FilePartsResponse(parts, status_code=status, media_type="video/mp4", headers=headers)
    # No coalescing: the pieces are already whole segments' media (~1 MB+), and joining them would copy every byte.
    stream = plan.aiter_range(storage, first, last)
    return StreamingResponse(stream, status_code=status, media_type="video/mp4", headers=headers)


class FilePartsResponse(Response):
    """Bytes from memory and runs of files, the runs sent with the server's zero-copy send (portal/zerocopy.py)."""

    def __init__(self, parts: list[bytes | FilePart], status_code: int, media_type: str, headers: dict[str, str]):
        super().__init__(status_code=status_code, media_type=media_type, headers=headers)
        self.parts = parts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        gone = anyio.Event()
        async with anyio.create_task_group() as group:
            group.start_soon(_note_disconnect, receive, gone)
            await self._send_parts(send, gone)
            group.cancel_scope.cancel()

    async def _send_parts(self, send: Send, gone: anyio.Event) -> None:
        for part in self.parts:
            if gone.is_set():
                return  # the client left: the remaining files are not opened
            if isinstance(part, bytes):
                await send({"type": "http.response.body", "body": part, "more_body": True})
                continue
            try:
                handle = part.path.open("rb")
            except FileNotFoundError:
                raise ObjectNotFound(str(part.path)) from None
            with handle:
                message = {"type": ZEROCOPY, "file": handle, "offset": part.offset, "count": part.length}
                await send({**message, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _note_disconnect(receive: Receive, gone: anyio.Event) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    gone.set()
