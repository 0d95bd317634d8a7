"""Cameras: list, add, edit, remove, probe ("Проверить"), power-cycle, and motion settings."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from edge.gpio.relays import RelayError
from edge.techui.auth import require_form_session, require_session
from edge.techui.camera_forms import CameraFormError, camera_from_form
from edge.techui.probe import probe

router = APIRouter(prefix="/cameras")


def _back(message: str) -> Response:
    return RedirectResponse("/cameras?" + urlencode({"message": message}), status_code=303)


def _form_values(form: Any) -> dict[str, Any]:
    return {k: v for k, v in form.items() if k != "csrf" and isinstance(v, str)}


def _render_form(
    request: Request,
    values: dict[str, Any],
    camera_id: str | None,
    status_code: int = 200,
    error: str | None = None,
    error_field: str | None = None,
    result: Any = None,
) -> Response:
    return request.app.state.render(
        request,
        "camera_form.html",
        status_code,
        values=values,
        camera_id=camera_id,
        error=error,
        error_field=error_field,
        probe=result,
    )


@router.get("", dependencies=[Depends(require_session)])
def cameras_page(request: Request) -> Response:
    ui = request.app.state.ui
    status = {cid: camera.model_dump() for cid, camera in ui.box.report().cameras.items()}
    relays = ui.gpio.relays if ui.gpio is not None else None
    return request.app.state.render(
        request,
        "cameras.html",
        cameras=ui.cameras(),
        status=status,
        relays=relays,
        message=request.query_params.get("message"),
    )


@router.get("/new", dependencies=[Depends(require_session)])
def new_camera(request: Request) -> Response:
    return _render_form(request, {"enabled": "on", "segment_seconds": "6"}, None)


@router.get("/{camera_id}/edit", dependencies=[Depends(require_session)])
def edit_camera(request: Request, camera_id: str) -> Response:
    camera = request.app.state.ui.camera(camera_id)
    if camera is None:
        return request.app.state.render(
            request, "message.html", 404, title="Нет камеры", message=f"Камеры {camera_id!r} нет на этом боксе."
        )
    values = {
        "id": camera.id,
        "name": camera.name,
        "url": camera.url,
        "sub_url": camera.sub_url or "",
        "username": camera.username or "",
        "enabled": "on" if camera.enabled else "",
        "segment_seconds": str(camera.segment_seconds),
    }
    return _render_form(request, values, camera_id)


@router.post("/save")
async def save_camera(request: Request, session: Any = Depends(require_form_session)) -> Response:
    ui = request.app.state.ui
    form = await request.form()
    values = _form_values(form)
    camera_id = values.get("camera_id") or None
    try:
        camera = ui.save_camera(values, camera_id)
    except CameraFormError as exc:
        return _render_form(request, values, camera_id, 400, error=str(exc), error_field=exc.field)
    return _back(f"Камера {camera.id} сохранена")


@router.post("/probe")
async def probe_camera(request: Request, session: Any = Depends(require_form_session)) -> Response:
    ui = request.app.state.ui
    form = await request.form()
    values = _form_values(form)
    camera_id = values.get("camera_id") or None
    existing = ui.camera(camera_id) if camera_id else None
    probe_values = {**values, "id": values.get("id") or camera_id or "probe"}
    try:
        camera = camera_from_form(probe_values, existing)
    except CameraFormError as exc:
        return _render_form(request, values, camera_id, 400, error=str(exc), error_field=exc.field)
    if camera.kind != "rtsp":
        error = "Адрес потока: проверка доступна только для RTSP-камер"
        return _render_form(request, values, camera_id, 400, error=error, error_field="url")
    # PyAV blocks for a few seconds; run it off the event loop.
    result = await run_in_threadpool(probe, camera.credentialed_url())
    return _render_form(request, values, camera_id, result=result)


def _render_motion(request: Request, camera: Any, status_code: int = 200, error: str | None = None) -> Response:
    worker = request.app.state.ui.box.motion_worker(camera.id)
    return request.app.state.render(
        request,
        "camera_motion.html",
        status_code,
        camera=camera,
        motion=camera.motion,
        zones_json=json.dumps([z.model_dump() for z in camera.motion.zones]),
        worker=worker,
        error=error,
    )


@router.get("/{camera_id}/motion", dependencies=[Depends(require_session)])
def motion_page(request: Request, camera_id: str) -> Response:
    camera = request.app.state.ui.camera(camera_id)
    if camera is None:
        return request.app.state.render(
            request, "message.html", 404, title="Нет камеры", message=f"Камеры {camera_id!r} нет на этом боксе."
        )
    return _render_motion(request, camera)


@router.post("/{camera_id}/motion")
async def save_motion(request: Request, camera_id: str, session: Any = Depends(require_form_session)) -> Response:
    ui = request.app.state.ui
    values = _form_values(await request.form())
    try:
        ui.save_motion(camera_id, values)
    except CameraFormError as exc:
        camera = ui.camera(camera_id)
        if camera is None:
            return request.app.state.render(request, "message.html", 404, title="Нет камеры", message=str(exc))
        return _render_motion(request, camera, 400, error=str(exc))
    return _back(f"Детекция движения камеры {camera_id} сохранена")


@router.post("/{camera_id}/delete", dependencies=[Depends(require_form_session)])
def delete_camera(request: Request, camera_id: str) -> Response:
    try:
        request.app.state.ui.remove_camera(camera_id)
    except CameraFormError as exc:
        return request.app.state.render(request, "message.html", 404, title="Нет камеры", message=str(exc))
    return _back(f"Камера {camera_id} удалена")


@router.post("/{camera_id}/power-cycle", dependencies=[Depends(require_form_session)])
def power_cycle(request: Request, camera_id: str) -> Response:
    try:
        request.app.state.ui.power_cycle(camera_id)
    except RelayError as exc:
        return request.app.state.render(request, "message.html", 409, title="Питание камеры", message=str(exc))
    return _back(f"Питание камеры {camera_id} перезапускается")
