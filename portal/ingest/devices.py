"""Who is uploading: the device behind an upload token, and whether it records a given camera."""

from fastapi import HTTPException
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.auth.passwords import token_hash
from portal.models import Camera, Device


def device_for_token(db: Session, authorization: str) -> Device:
    """401 unless ``Authorization: Bearer <upload token>`` names a device."""
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(
            401, "Authorization: Bearer <device upload token> is required", headers={"WWW-Authenticate": "Bearer"}
        )
    device = db.scalar(select(Device).where(Device.upload_token_hash == token_hash(token)))
    if device is None:
        raise HTTPException(401, "unknown upload token", headers={"WWW-Authenticate": "Bearer"})
    return device


def own_camera(db: Session, device: Device, camera_id: str) -> Camera:
    """403 unless the camera exists and is bound to this device (a box writes only its own cameras)."""
    camera = db.get(Camera, camera_id)
    if camera is None or camera.device_id != device.id:
        raise HTTPException(403, f"camera {camera_id!r} is not recorded by device {device.id!r}")
    return camera
