"""Forpost System API under /system-api/{Call} (docs/forpost.md, "System API"): what ISP platforms such as
SmartYard-Server call with an operator credential, acting for one subscriber. Parameters as the Mobile API
reads them (query, form, multipart, loose bodies); every answer JSON with HTTP 200."""

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from portal.auth.client_ip import client_ip
from portal.deps import services
from portal.forpost.body import request_params
from portal.forpost.errors import ForpostError
from portal.forpost.system_calls import SYSTEM_CALLS, run_system_call

router = APIRouter(tags=["forpost"])


@router.get("/system-api/{name}", response_class=JSONResponse, operation_id="system_api_get")
@router.post("/system-api/{name}", response_class=JSONResponse, operation_id="system_api_post")
async def system_call(name: str, request: Request) -> JSONResponse:
    if name.lower() not in SYSTEM_CALLS:
        raise HTTPException(404, f"unknown System API call {name!r}")
    try:
        values = await request_params(request)
    except ForpostError as refused:
        return JSONResponse(refused.answer())
    answer = await run_in_threadpool(run_system_call, services(request), name, values, client_ip(request))
    return JSONResponse(answer)
