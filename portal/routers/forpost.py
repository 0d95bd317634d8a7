"""Forpost Mobile API 1.3.2 under /api/{Call}: POST parameters in (portal/forpost/body.py), JSON out (docs/forpost.md).

One route with a case-insensitive dispatch table (apps call both /api/login and /api/Login); it matches a
single path segment only, so /api/v1/... routes of other domains are untouched.
"""

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse

from portal.auth.client_ip import client_ip
from portal.deps import services
from portal.forpost.body import request_params
from portal.forpost.calls import CALLS
from portal.forpost.dispatch import run_call
from portal.forpost.embed_page import render_embed
from portal.forpost.errors import ForpostError

router = APIRouter(tags=["forpost"])


@router.post("/api/{name}", response_class=JSONResponse)
async def forpost_call(name: str, request: Request) -> JSONResponse:
    if name.lower() not in CALLS:
        raise HTTPException(404, f"unknown Forpost call {name!r}")
    try:
        values = await request_params(request)
    except ForpostError as refused:
        return JSONResponse(refused.answer())
    answer = await run_in_threadpool(run_call, services(request), name, values, client_ip(request))
    return JSONResponse(answer)


@router.get("/embed/forpost", response_class=HTMLResponse)
def embed_page(request: Request) -> HTMLResponse:
    """The embeddable player page a GetEmbedClient URL opens (signed, short-lived)."""
    return render_embed(request, services(request), dict(request.query_params), client_ip(request))
