"""Who may see which camera: the one ownership rule every endpoint goes through.

A subscriber sees the cameras bound to their contract (private) and the cameras bound to the entrance
their contract is at (shared). Operators see every camera. A contract whose video service is suspended for
debt sees none: the query raises ServiceSuspended, which every surface answers with the reason and how to pay.
"""

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from portal.auth.sessions import Principal
from portal.billing.gate import require_service
from portal.models import Camera, Contract


def visible_cameras_query(db: Session, who: Principal) -> Select[tuple[Camera]]:
    query = select(Camera).order_by(Camera.address_id, Camera.name, Camera.id)
    if who.is_operator:
        return query
    contract = db.get(Contract, who.contract_id)
    if contract is None:
        return query.where(Camera.id.is_(None))
    require_service(db, contract.id)  # suspended for debt -> ServiceSuspended (portal/billing/gate.py)
    # Shared = bound to the entrance and to no contract: a private camera keeps its address for display only.
    shared = (
        and_(Camera.owner_contract_id.is_(None), Camera.address_id == contract.address_id)
        if contract.address_id is not None
        else False
    )
    return query.where(or_(Camera.owner_contract_id == contract.id, shared))


def visible_cameras(db: Session, who: Principal) -> list[Camera]:
    return list(db.scalars(visible_cameras_query(db, who)).unique())


def can_view(db: Session, who: Principal, camera_id: str) -> Camera | None:
    """The camera if the caller may see it, else None (callers answer 403/404 without saying which)."""
    query = visible_cameras_query(db, who).where(Camera.id == camera_id)
    return db.scalars(query).unique().first()
