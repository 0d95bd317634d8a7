"""The status page, camera snapshots, and "identify this box"."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from edge.snapshot import SnapshotError
from edge.techui.auth import require_form_session, require_session

router = APIRouter()


@router.get("/", dependencies=[Depends(require_session)])
def status_page(request: Request) -> Response:
    ui = request.app.state.ui
    return request.app.state.render(request, "status.html", status=ui.status_view())


@router.get("/status.json", dependencies=[Depends(require_session)])
def status_json(request: Request) -> Response:
    return JSONResponse(request.app.state.ui.status_view())


@router.get("/cameras/{camera_id}/snapshot.jpg", dependencies=[Depends(require_session)])
def snapshot(request: Request, camera_id: str) -> Response:
    ui = request.app.state.ui
    if ui.camera(camera_id) is None:
        return JSONResponse({"detail": f"камеры {camera_id!r} нет на этом боксе"}, status_code=404)
    try:
        jpeg = ui.box.snapshot(camera_id)
    except SnapshotError as exc:
        return JSONResponse({"detail": f"снимка пока нет: {exc}"}, status_code=404)
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store"})


@router.post("/identify", dependencies=[Depends(require_form_session)])
def identify(request: Request) -> Response:
    request.app.state.ui.identify()
    return RedirectResponse("/", status_code=303)
