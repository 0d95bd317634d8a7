"""OTA HTTP API: operators upload bundles and run rollouts; boxes fetch bundles with ranged GETs."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Header, HTTPException, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from cloud_sync.segments import ID_PATTERN
from portal.archive.storage import ObjectNotFound, storage_of
from portal.deps import DB, Operator, services
from portal.ingest.devices import device_for_token
from portal.models.ota import OtaBundle, OtaRollout
from portal.ota import rollout as rollouts
from portal.ota.bundles import BundleRefused, BundleTooLarge, accept_upload, read_range
from portal.params import RowId

router = APIRouter(tags=["ota"])
SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _bundle_out(bundle: OtaBundle) -> dict[str, Any]:
    return {
        "sha256": bundle.sha256,
        "version": bundle.version,
        "min_from": bundle.min_from,
        "size": bundle.size,
        "key_id": bundle.key_id,
        "uploaded_at": bundle.uploaded_at.isoformat(),
    }


@router.post("/api/v1/operator/ota/bundles", status_code=201)
async def upload_bundle(request: Request, who: Operator, db: DB) -> dict[str, Any]:
    """The request body is the bundle file (application/octet-stream); refused whole unless it verifies."""
    svc = services(request)
    try:
        bundle = await accept_upload(db, storage_of(svc), svc.settings, request.stream(), f"op{who.operator_id}")
    except BundleTooLarge as exc:
        raise HTTPException(413, f"bundle: {exc}") from None
    except BundleRefused as exc:
        raise HTTPException(400, f"bundle: {exc}") from None
    return _bundle_out(bundle)


@router.get("/api/v1/operator/ota/bundles")
def list_bundles(_who: Operator, db: DB) -> list[dict[str, Any]]:
    return [_bundle_out(b) for b in db.scalars(select(OtaBundle).order_by(OtaBundle.uploaded_at.desc()))]


@router.get("/ota/v1/bundles/{sha256}")
def fetch_bundle(
    sha256: str, request: Request, db: DB, authorization: str = Header(""), range_: str = Header("", alias="Range")
) -> StreamingResponse:
    """For boxes (their upload token): the whole bundle or, with `Range: bytes=N-[M]`, the rest of it (206)."""
    device_for_token(db, authorization)
    if not SHA256.match(sha256):
        raise HTTPException(404, "sha256: not a bundle hash")
    bundle = db.get(OtaBundle, sha256)
    if bundle is None:
        raise HTTPException(404, f"sha256: no bundle {sha256[:12]}…")
    start, end, status = 0, bundle.size - 1, 200
    if range_:
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", range_.strip())
        if match is None:
            raise HTTPException(400, "Range: expected bytes=START- or bytes=START-END")
        start = int(match.group(1))
        end = min(int(match.group(2)), bundle.size - 1) if match.group(2) else bundle.size - 1
        if start >= bundle.size or start > end:
            raise HTTPException(
                416, "Range: past the end of the bundle", headers={"Content-Range": f"bytes */{bundle.size}"}
            )
        status = 206
    try:
        chunks = read_range(storage_of(services(request)), bundle.object_key, start, end)
    except ObjectNotFound:
        raise HTTPException(404, "sha256: the bundle's object is missing from the store") from None
    headers = {"Content-Length": str(end - start + 1), "Accept-Ranges": "bytes"}
    if status == 206:
        headers["Content-Range"] = f"bytes {start}-{end}/{bundle.size}"
    return StreamingResponse(chunks, status_code=status, media_type="application/x-tar", headers=headers)


class RolloutBody(BaseModel):
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="The uploaded bundle to roll out")
    devices: list[str] = Field(default_factory=list, max_length=100_000, description="Box ids")
    address_id: int | None = Field(None, ge=1, le=2**31 - 1, description="Every box at this address")
    percent: int | None = Field(None, ge=1, le=100, description="This share of the chosen boxes (or of the fleet)")
    waves: int = Field(1, ge=1, le=100)
    threshold_percent: int = Field(20, ge=0, le=100, description="Pause when more failed than this share")

    def device_ids(self) -> list[str]:
        for device in self.devices:
            if not re.fullmatch(ID_PATTERN, device):
                raise HTTPException(400, f"devices: {device[:70]!r} is not a device id")
        return self.devices


@router.post("/api/v1/operator/ota/rollouts", status_code=201)
def create_rollout(body: RolloutBody, request: Request, who: Operator, db: DB) -> dict[str, Any]:
    bundle = db.get(OtaBundle, body.sha256)
    if bundle is None:
        raise HTTPException(400, f"sha256: no uploaded bundle {body.sha256[:12]}…")
    try:
        ids = rollouts.pick_devices(db, bundle.version, body.device_ids(), body.address_id, body.percent)
    except rollouts.RolloutRefused as exc:
        raise HTTPException(400, str(exc)) from None
    made = rollouts.create(db, bundle, ids, body.waves, body.threshold_percent, f"op{who.operator_id}")
    svc = services(request)
    rollouts.advance(db, svc.commands, svc.settings.public_url)  # offer the first wave now
    return rollouts.summary(db, made)


def _rollout(db: DB, rollout_id: int) -> OtaRollout:
    found = db.get(OtaRollout, rollout_id)
    if found is None:
        raise HTTPException(404, f"rollout_id: no rollout {rollout_id}")
    return found


@router.get("/api/v1/operator/ota/rollouts/{rollout_id}")
def get_rollout(rollout_id: RowId, _who: Operator, db: DB) -> dict[str, Any]:
    return rollouts.summary(db, _rollout(db, rollout_id))


@router.post("/api/v1/operator/ota/rollouts/{rollout_id}/resume")
def resume_rollout(rollout_id: RowId, request: Request, _who: Operator, db: DB) -> dict[str, Any]:
    found = _rollout(db, rollout_id)
    svc = services(request)
    try:
        rollouts.resume(db, found, svc.commands, svc.settings.public_url)
    except rollouts.RolloutRefused as exc:
        raise HTTPException(409, str(exc)) from None
    return rollouts.summary(db, found)
