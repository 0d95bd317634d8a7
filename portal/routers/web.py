"""Subscriber cabinet pages: cameras grouped by address, favourites, the camera page (live, timeline, download).

Video and the timeline are fetched by the page's script from the archive API (cookie auth); the
page only renders what the ownership rule lets this subscriber see.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from portal.access import can_view
from portal.archive.progressive import MAX_FILE_SECONDS
from portal.billing.gate import visible_depth_days
from portal.cabinet.camera_list import cameras_by_address
from portal.cabinet.camera_page import live_available, page_urls
from portal.cabinet.contracts import contract_tz
from portal.cabinet.errors import FieldError
from portal.cabinet.favourites import favourite_ids, toggle_favourite
from portal.deps import DB, services
from portal.forpost.devices import set_home_mode
from portal.forpost.ownership import is_private
from portal.light.lease import capable as light_capable
from portal.models import Camera
from portal.models.forpost import HomeMode
from portal.web.csrf import verify_csrf
from portal.web.guards import PageSubscriber, safe_next
from portal.web.templating import render

router = APIRouter(tags=["cabinet pages"])
Csrf = Depends(verify_csrf)

DOWNLOAD_DURATIONS = [(60, "1 минута"), (300, "5 минут"), (600, "10 минут"), (1800, "30 минут"), (3600, "1 час")]
GAP_REASONS = {
    "camera_unreachable": "камера недоступна",
    "camera_auth": "ошибка авторизации камеры",
    "stalled": "камера зависла",
    "box_down": "устройство было выключено",
    "disk_full": "диск переполнен",
    "clock_step": "скачок часов",
    "not_uploaded_yet": "ещё не загружено (есть на устройстве)",
    "box_offline": "устройство не на связи",
    "lost": "утрачено",
    "home_mode": "запись приостановлена (режим «Я дома»)",
}


@router.get("/cameras")
def cameras_page(request: Request, who: PageSubscriber, db: DB) -> Response:
    groups = cameras_by_address(db, who)
    return render(
        request,
        "cameras.html",
        active="cameras",
        groups=groups,
        tz=contract_tz(db, who.contract_id),
        heading="Мои камеры",
        empty="К вашему договору пока не подключено ни одной камеры.",
    )


@router.get("/favourites")
def favourites_page(request: Request, who: PageSubscriber, db: DB) -> Response:
    groups = cameras_by_address(db, who, only_favourites=True)
    return render(
        request,
        "cameras.html",
        active="favourites",
        groups=groups,
        tz=contract_tz(db, who.contract_id),
        heading="Избранное",
        empty="В избранном пока пусто: отметьте камеры звёздочкой в списке.",
    )


@router.get("/cameras/{camera_id}")
def camera_page(request: Request, camera_id: str, who: PageSubscriber, db: DB) -> Response:
    camera = can_view(db, who, camera_id)
    if camera is None:
        raise HTTPException(404, "Такой камеры нет")
    return render(
        request,
        "camera.html",
        active="cameras",
        camera=camera,
        urls=page_urls(request.app, camera.id, light=light_capable(db, camera)),
        live_available=live_available(db, camera.id),
        tz=contract_tz(db, who.contract_id),
        favourite=camera.id in favourite_ids(db, who.contract_id),
        home_mode=_home_mode(db, camera, who.contract_id),
        durations=DOWNLOAD_DURATIONS,
        max_file_seconds=MAX_FILE_SECONDS,
        gap_reasons=GAP_REASONS,
        retention_days=visible_depth_days(db, who.contract_id, camera),
    )


@router.post("/cameras/{camera_id}/favourite", dependencies=[Csrf])
def favourite_toggle(camera_id: str, who: PageSubscriber, db: DB, next: Annotated[str, Form()] = "") -> Response:
    try:
        toggle_favourite(db, who, camera_id)
    except FieldError:
        raise HTTPException(404, "Такой камеры нет") from None
    return RedirectResponse(safe_next(next, "/cameras"), status_code=303)


def _home_mode(db: DB, camera: Camera, contract_id: int) -> dict[str, object] | None:
    """«Я дома» state for the page: only the owner of a private camera gets the switch."""
    if not is_private(camera, contract_id):
        return None
    row = db.get(HomeMode, camera.id)
    return {"enabled": bool(row and row.enabled), "box_result": row.box_result if row else ""}


@router.post("/cameras/{camera_id}/home-mode", dependencies=[Csrf])
def home_mode_switch(
    request: Request, camera_id: str, who: PageSubscriber, db: DB, enable: Annotated[str, Form()] = ""
) -> Response:
    """«Я дома» on a private camera: the same domain step as Forpost's EnableHomeMode (config.set to the box)."""
    camera = can_view(db, who, camera_id)
    if camera is None:
        raise HTTPException(404, "Такой камеры нет")
    if not is_private(camera, who.contract_id):
        raise HTTPException(403, "«Я дома» доступен только для своих камер")
    if enable not in ("0", "1"):
        raise HTTPException(422, "enable: должно быть 1 (включить) или 0 (выключить)")
    set_home_mode(db, services(request), camera, who.contract_id, enable == "1")
    return RedirectResponse(f"/cameras/{camera.id}", status_code=303)
