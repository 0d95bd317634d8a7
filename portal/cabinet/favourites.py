"""Favourite cameras of a contract; only cameras the subscriber may see can be favourites."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.access import can_view
from portal.auth.sessions import Principal
from portal.cabinet.errors import FieldError
from portal.models import Favourite


def favourite_ids(db: Session, contract_id: int) -> set[str]:
    return set(db.scalars(select(Favourite.camera_id).where(Favourite.contract_id == contract_id)))


def toggle_favourite(db: Session, who: Principal, camera_id: str) -> bool:
    """Add or remove; returns True when the camera is a favourite afterwards."""
    if who.contract_id is None or can_view(db, who, camera_id) is None:
        raise FieldError("camera", "такой камеры нет")
    row = db.get(Favourite, (who.contract_id, camera_id))
    if row is not None:
        db.delete(row)
        return False
    db.add(Favourite(contract_id=who.contract_id, camera_id=camera_id))
    db.flush()
    return True
