"""The HTTP answer for a progressive MP4 (portal.archive.progressive.Layout): 200 / 206 / 416, ETag, If-Range."""

from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import StreamingResponse

from portal.archive.byte_ranges import Unsatisfiable, requested
from portal.archive.progressive import Layout
from portal.archive.storage import Storage


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
    # No coalescing: the pieces are already whole segments' media (~1 MB+), and joining them would copy every byte.
    stream = plan.aiter_range(storage, first, last)
    return StreamingResponse(stream, status_code=status, media_type="video/mp4", headers=headers)
