"""Who is uploading: the device behind an upload token, and whether it records a given camera."""

from fastapi import HTTPException
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from portal.auth.passwords import token_hash
from portal.models import ArchiveRun, ArchiveSegment, Camera, Device


def _bearer(authorization: str) -> str:
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(
            401, "Authorization: Bearer <device upload token> is required", headers={"WWW-Authenticate": "Bearer"}
        )
    return token


def _unknown_token() -> HTTPException:
    return HTTPException(401, "unknown upload token", headers={"WWW-Authenticate": "Bearer"})


def device_for_token(db: Session, authorization: str) -> Device:
    """401 unless ``Authorization: Bearer <upload token>`` names a device."""
    device = db.scalar(select(Device).where(Device.upload_token_hash == token_hash(_bearer(authorization))))
    if device is None:
        raise _unknown_token()
    return device


def authorised_segment(
    db: Session, authorization: str, camera_id: str, run_id: str, seq: int
) -> tuple[str, str] | None:
    """device_for_token + own_camera (401, 403) and the (sha256, object key) of the segment already indexed
    under (camera, run, seq), if any: one query, since every upload of the fleet asks it."""
    run = and_(ArchiveRun.camera_id == camera_id, ArchiveRun.run_id == run_id)
    row = db.execute(
        select(Device.id, Camera.device_id, ArchiveSegment.sha256, ArchiveSegment.object_key)
        .select_from(Device)
        .outerjoin(Camera, Camera.id == camera_id)
        .outerjoin(ArchiveRun, run)
        .outerjoin(ArchiveSegment, and_(ArchiveSegment.run_pk == ArchiveRun.id, ArchiveSegment.seq == seq))
        .where(Device.upload_token_hash == token_hash(_bearer(authorization)))
    ).first()
    if row is None:
        raise _unknown_token()
    device_id, owner, sha256, key = row
    if owner != device_id:
        raise HTTPException(403, f"camera {camera_id!r} is not recorded by device {device_id!r}")
    return (sha256, key) if sha256 is not None else None


def own_camera(db: Session, device: Device, camera_id: str) -> Camera:
    """403 unless the camera exists and is bound to this device (a box writes only its own cameras)."""
    camera = db.get(Camera, camera_id)
    if camera is None or camera.device_id != device.id:
        raise HTTPException(403, f"camera {camera_id!r} is not recorded by device {device.id!r}")
    return camera
