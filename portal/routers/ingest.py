"""Box -> portal segment ingest (the contract in cloud_sync.segments and docs/ARCHITECTURE.md)."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Path, Request
from fastapi.responses import JSONResponse

from cloud_sync.segments import (
    ID_PATTERN,
    INGEST_PREFIX,
    INIT_CONTENT_TYPE,
    MAX_SEGMENT_BYTES,
    SEGMENT_CONTENT_TYPE,
    GapReport,
    Holdings,
)
from portal.archive import keys
from portal.archive.index import SegmentInfo
from portal.archive.storage import storage_of
from portal.deps import DB, services
from portal.ingest import headers as hdr
from portal.ingest import threads as ingest_threads
from portal.ingest.body import receive
from portal.ingest.devices import authorised_segment, device_for_token, own_camera
from portal.ingest.service import (
    check_gaps,
    check_holdings,
    record_gaps,
    record_holdings,
    store_init,
    store_segment,
)
from portal.params import Seq

router = APIRouter(prefix=f"{INGEST_PREFIX}/cameras", tags=["ingest"])

CameraId = Annotated[str, Path(pattern=ID_PATTERN, description="Camera id")]
Authorization = Annotated[str, Header(description="Bearer <device upload token>")]
STATUS = {"created": 201, "same": 200}


def _authorise(request: Request, camera_id: str, authorization: str) -> str:
    """The device id, after checking its token (401) and that it records this camera (403)."""
    with services(request).db.session() as db:
        device = device_for_token(db, authorization)
        own_camera(db, device, camera_id)
        return device.id


def _answer(outcome: str, what: str, receipt: dict) -> JSONResponse:
    """201/200 with the receipt the box checks before it counts the upload as stored (cloud_sync.ingest_client):
    a captive portal or a proxy answering 200 on the way cannot echo the key and checksum of these bytes."""
    if outcome == "conflict":
        raise HTTPException(409, f"{what} was already uploaded with different bytes")
    return JSONResponse({"stored": outcome, **receipt}, status_code=STATUS[outcome])


@router.put("/{camera}/runs/{run}/init", status_code=201, responses={200: {"description": "already stored"}})
async def put_init(request: Request, camera: CameraId, run: str, authorization: Authorization = "") -> JSONResponse:
    threads = services(request).settings.ingest_threads
    await ingest_threads.run(threads, _authorise, request, camera, authorization)
    hdr.check_run(run)
    hdr.check_content_type(request.headers.get("content-type"), INIT_CONTENT_TYPE)
    hdr.check_length(request.headers.get("content-length"))
    claimed = hdr.parse_sha256(request.headers.get(hdr.HEADER_SHA256), required=False)
    body = await receive(request.stream(), MAX_SEGMENT_BYTES)
    try:
        if claimed is not None and claimed != body.sha256:
            raise HTTPException(400, f"{hdr.HEADER_SHA256}: does not match the body (got {body.sha256})")
        svc = services(request)
        outcome = await ingest_threads.run(threads, store_init, svc.db, storage_of(svc), camera, run, body, _now())
    finally:
        body.close()
    key = keys.init_key(camera, run, body.sha256)
    receipt = {"camera_id": camera, "run_id": run, "sha256": body.sha256, "key": key}
    return _answer(outcome, f"init of run {run}", receipt)


@router.put(
    "/{camera}/runs/{run}/segments/{seq}",
    status_code=201,
    responses={200: {"description": "already stored with the same checksum"}},
)
async def put_segment(
    request: Request, camera: CameraId, run: str, seq: Seq, authorization: Authorization = ""
) -> JSONResponse:
    threads = services(request).settings.ingest_threads
    existing = await ingest_threads.run(threads, _authorised_existing, request, camera, run, seq, authorization)
    hdr.check_run(run)
    hdr.check_content_type(request.headers.get("content-type"), SEGMENT_CONTENT_TYPE)
    hdr.check_length(request.headers.get("content-length"))
    meta = hdr.parse_segment_headers(request.headers)
    svc = services(request)
    receipt = {"camera_id": camera, "run_id": run, "seq": seq, "sha256": meta.sha256}
    if existing is not None:  # answer a retry without reading the body again
        sha, key = existing
        return _answer("same" if sha == meta.sha256 else "conflict", f"segment {run}/{seq}", {**receipt, "key": key})
    body = await receive(request.stream(), MAX_SEGMENT_BYTES)
    try:
        if body.sha256 != meta.sha256:
            raise HTTPException(400, f"{hdr.HEADER_SHA256}: does not match the body (got {body.sha256})")
        info = SegmentInfo(
            camera_id=camera,
            run_id=run,
            seq=seq,
            start=meta.start,
            duration=meta.duration,
            size=body.size,
            sha256=body.sha256,
            clock_synced=meta.clock_synced,
            object_key=keys.segment_key(camera, run, seq, meta.start, body.sha256),
        )
        outcome = await ingest_threads.run(threads, store_segment, svc.db, storage_of(svc), info, body, _now())
    finally:
        body.close()
    return _answer(outcome, f"segment {run}/{seq}", {**receipt, "key": info.object_key})


def _authorised_existing(
    request: Request, camera_id: str, run_id: str, seq: int, authorization: str
) -> tuple[str, str] | None:
    """After the token and camera checks (401/403): (sha256, object key) of the segment already indexed under
    this key, if any (portal.ingest.devices.authorised_segment: one query)."""
    with services(request).db.session() as db:
        return authorised_segment(db, authorization, camera_id, run_id, seq)


@router.post("/{camera}/gaps")
def post_gaps(request: Request, camera: CameraId, report: GapReport, db: DB, authorization: Authorization = "") -> dict:
    own_camera(db, device_for_token(db, authorization), camera)
    problems = check_gaps(report)
    if problems:
        raise HTTPException(422, problems)
    return {"recorded": record_gaps(db, camera, report, _now())}


@router.put("/{camera}/holdings")
def put_holdings(
    request: Request, camera: CameraId, holdings: Holdings, db: DB, authorization: Authorization = ""
) -> dict:
    own_camera(db, device_for_token(db, authorization), camera)
    problems = check_holdings(holdings)
    if problems:
        raise HTTPException(422, problems)
    return {"accepted": record_holdings(db, camera, holdings, _now())}


def _now() -> datetime:
    return datetime.now(UTC)
