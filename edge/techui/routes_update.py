"""The update page: the running release, the previous one, the last update's result, a manual rollback."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from edge.ota.install import InstallError, manual_rollback
from edge.ota.state import Slots
from edge.techui.auth import require_form_session, require_session

router = APIRouter()


def _page(request: Request, status: int = 200, message: str = "", error: str = "") -> Response:
    ota = request.app.state.ui.box.config.ota
    info = Slots(ota.root).status() if ota is not None else None
    return request.app.state.render(request, "update.html", status, ota=info, message=message, error=error)


@router.get("/update", dependencies=[Depends(require_session)])
def update_page(request: Request) -> Response:
    return _page(request)


@router.post("/update/rollback", dependencies=[Depends(require_form_session)])
def rollback(request: Request) -> Response:
    ota = request.app.state.ui.box.config.ota
    if ota is None:
        return _page(request, 400, error="Обновления по сети выключены: в конфигурации нет раздела ota.")
    try:
        result = manual_rollback(ota, who="the technician UI")
    except InstallError as exc:
        return _page(request, 409, error=str(exc))
    note = "бокс перезапускается" if result["supervisor"] else "вступит в силу при следующем запуске"
    return _page(request, message=f"Откат на версию {result['current']}: {note}.")
