"""Stable integer CameraIDs for the apps (ours are strings); assigned on first sight, never reused."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.models.forpost import ForpostCameraNumber


def numbers_for(db: Session, camera_ids: list[str]) -> dict[str, int]:
    """camera id -> number, assigning numbers to cameras that have none yet."""
    if not camera_ids:
        return {}
    rows = db.scalars(select(ForpostCameraNumber).where(ForpostCameraNumber.camera_id.in_(camera_ids)))
    known = {row.camera_id: row.number for row in rows}
    for camera_id in camera_ids:
        if camera_id in known:
            continue
        try:
            with db.begin_nested():  # another worker may assign the same camera at the same moment
                row = ForpostCameraNumber(camera_id=camera_id)
                db.add(row)
            known[camera_id] = row.number
        except IntegrityError:
            known[camera_id] = db.execute(
                select(ForpostCameraNumber.number).where(ForpostCameraNumber.camera_id == camera_id)
            ).scalar_one()
    return known


def camera_of(db: Session, number: int) -> str | None:
    return db.scalar(select(ForpostCameraNumber.camera_id).where(ForpostCameraNumber.number == number))
