"""Operator console: OTA bundles (upload, list) and rollouts (start, follow per box, resume when paused).

The same domain calls as the JSON API (`portal/routers/ota.py`): bundles through `portal.ota.bundles`, rollouts
through `portal.ota.rollout`; this module only reads forms and renders pages.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.archive.storage import storage_of
from portal.deps import DB, services
from portal.models import Address
from portal.models.ota import OtaBundle, OtaRollout
from portal.ota import rollout as rollouts
from portal.ota.bundles import BundleRefused, BundleTooLarge, accept_upload
from portal.params import RowId
from portal.routers.ota import RolloutBody
from portal.web.csrf import verify_csrf
from portal.web.guards import PageOperator
from portal.web.templating import render

router = APIRouter(prefix="/operator/ota", tags=["operator console"], include_in_schema=False)


def _page(request: Request, db: Session, status_code: int = 200, **extra) -> Response:
    made = list(db.scalars(select(OtaRollout).order_by(OtaRollout.id.desc()).limit(50)))
    return render(
        request,
        "operator/ota.html",
        status_code=status_code,
        active="ota",
        bundles=list(db.scalars(select(OtaBundle).order_by(OtaBundle.uploaded_at.desc()))),
        rollouts=[rollouts.summary(db, r) | {"created_at": r.created_at, "created_by": r.created_by} for r in made],
        addresses=list(db.scalars(select(Address).order_by(Address.city, Address.street, Address.house))),
        **extra,
    )


@router.get("")
def ota_page(request: Request, _who: PageOperator, db: DB) -> Response:
    return _page(request, db)


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(1024 * 1024):
        yield chunk


@router.post("/bundles", dependencies=[Depends(verify_csrf)])
async def upload_bundle(
    request: Request, who: PageOperator, db: DB, bundle: Annotated[UploadFile | None, File()] = None
) -> Response:
    if bundle is None or not bundle.filename:
        return _page(request, db, 422, error="bundle: choose the bundle file (dozor ota build)")
    svc = services(request)
    try:
        made = await accept_upload(db, storage_of(svc), svc.settings, _chunks(bundle), f"op{who.operator_id}")
    except BundleRefused as exc:
        db.rollback()
        return _page(request, db, 413 if isinstance(exc, BundleTooLarge) else 422, error=f"bundle: {exc}")
    return RedirectResponse(f"/operator/ota?uploaded={made.version}", status_code=303)


def _form_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "form"
    return f"{field}: {first['msg']}"


@router.post("/rollouts", dependencies=[Depends(verify_csrf)])
def start_rollout(
    request: Request,
    who: PageOperator,
    db: DB,
    sha256: Annotated[str, Form()] = "",
    devices: Annotated[str, Form()] = "",
    address_id: Annotated[str, Form()] = "",
    percent: Annotated[str, Form()] = "",
    waves: Annotated[str, Form()] = "1",
    threshold_percent: Annotated[str, Form()] = "20",
) -> Response:
    form = {"sha256": sha256, "devices": devices, "address_id": address_id, "percent": percent, "waves": waves,
            "threshold_percent": threshold_percent}  # fmt: skip
    raw = {"sha256": sha256.strip(), "devices": devices.replace(",", " ").split(), "waves": waves.strip() or "1",
           "threshold_percent": threshold_percent.strip() or "20",
           "address_id": address_id.strip() or None, "percent": percent.strip() or None}  # fmt: skip
    try:
        body = RolloutBody.model_validate(raw)
        bundle = db.get(OtaBundle, body.sha256)
        if bundle is None:
            raise rollouts.RolloutRefused(f"sha256: no uploaded bundle {body.sha256[:12]}…")
        ids = rollouts.pick_devices(db, bundle.version, body.device_ids(), body.address_id, body.percent)
    except ValidationError as exc:
        return _page(request, db, 422, form=form, error=_form_error(exc))
    except HTTPException as exc:
        return _page(request, db, 422, form=form, error=str(exc.detail))
    except rollouts.RolloutRefused as exc:
        return _page(request, db, 422, form=form, error=str(exc))
    made = rollouts.create(db, bundle, ids, body.waves, body.threshold_percent, f"op{who.operator_id}")
    svc = services(request)
    rollouts.advance(db, svc.commands, svc.settings.public_url)  # offer the first wave now
    return RedirectResponse(f"/operator/ota/rollouts/{made.id}", status_code=303)


def _rollout(db: Session, rollout_id: int) -> OtaRollout:
    found = db.get(OtaRollout, rollout_id)
    if found is None:
        raise HTTPException(404, f"rollout_id: no rollout {rollout_id}")
    return found


def _rollout_view(
    request: Request, db: Session, found: OtaRollout, status_code: int = 200, error: str = ""
) -> Response:
    detail = rollouts.summary(db, found) | {"created_at": found.created_at, "created_by": found.created_by}
    return render(request, "operator/ota_rollout.html", status_code, active="ota", rollout=detail, error=error)


@router.get("/rollouts/{rollout_id}")
def rollout_page(rollout_id: RowId, request: Request, _who: PageOperator, db: DB) -> Response:
    return _rollout_view(request, db, _rollout(db, rollout_id))


@router.post("/rollouts/{rollout_id}/resume", dependencies=[Depends(verify_csrf)])
def resume(rollout_id: RowId, request: Request, _who: PageOperator, db: DB) -> Response:
    found, svc = _rollout(db, rollout_id), services(request)
    try:
        rollouts.resume(db, found, svc.commands, svc.settings.public_url)
    except rollouts.RolloutRefused as exc:
        return _rollout_view(request, db, found, 409, str(exc))
    return RedirectResponse(f"/operator/ota/rollouts/{rollout_id}", status_code=303)
