"""The clip URLs GetDownloadURL hands out: 202 "not ready" (poll again) until the clip can be served, then the
MP4; 410 for an unknown or expired URL or a session that may no longer watch (portal/forpost/downloads.py)."""

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from portal.archive.file_response import file_response
from portal.archive.storage import storage_of
from portal.deps import services
from portal.forpost import downloads

router = APIRouter(prefix=downloads.PREFIX, tags=["forpost"])
RETRY_SECONDS = 2


@router.get("/{token}/clip.mp4")
@router.head("/{token}/clip.mp4", include_in_schema=False)
async def clip(token: str, request: Request) -> Response:
    portal = services(request)

    def prepare() -> downloads.Ready | Response:
        with portal.db.session() as db:
            try:
                return downloads.resolve(db, portal, token)
            except downloads.DownloadGone:
                return JSONResponse({"res": "error", "error": "ссылка недействительна или истекла"}, status_code=410)
            except downloads.NotReady as waiting:
                return JSONResponse(
                    {"res": "not_ready", "error": f"файл ещё не готов: {waiting}", "retry_after": RETRY_SECONDS},
                    status_code=202,
                    headers={"Retry-After": str(RETRY_SECONDS)},
                )
            except downloads.ClipRefused as refused:
                return JSONResponse({"res": "error", "error": refused.detail}, status_code=refused.status)

    outcome = await run_in_threadpool(prepare)
    if isinstance(outcome, Response):
        return outcome
    return file_response(request, storage_of(portal), outcome.file, f"{outcome.plan.camera.id}.mp4")
