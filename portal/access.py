"""Who may see which camera: the one ownership rule every endpoint goes through.

A subscriber sees the cameras bound to their contract (private) and the cameras bound to the entrance
their contract is at (shared). Operators see every camera.

Watching video (live, archive, clips, snapshots, Forpost translations, embeds) additionally needs
``may_view_media``: the one place that says whether a contract may still watch at all.
A contract whose video service is suspended for debt sees none: the query raises ServiceSuspended, which every
surface answers with the reason and how to pay.
"""

from sqlalchemy import Select, and_, false, or_, select
from sqlalchemy.orm import Session

from portal.auth.sessions import Principal
from portal.billing.gate import require_service
from portal.models import Camera, Contract


def visible_cameras_query(db: Session, who: Principal) -> Select[Camera]:
    query = select(Camera).order_by(Camera.address_id, Camera.name, Camera.id)
    if who.is_operator:
        return query
    contract = db.get(Contract, who.contract_id)
    if contract is None:
        return query.where(Camera.id.is_(None))
    require_service(db, contract.id)  # suspended for debt -> ServiceSuspended (portal/billing/gate.py)
    return contract_cameras_query(contract)


def contract_cameras_query(contract: Contract) -> Select[Camera]:
    """The contract's cameras by ownership alone, without the billing gate: what the subscriber sees while the
    service runs (the operator's contract page lists them whatever the balance)."""
    # Shared = bound to the entrance and to no contract: a private camera keeps its address for display only.
    shared = (
        and_(Camera.owner_contract_id.is_(None), Camera.address_id == contract.address_id)
        if contract.address_id is not None
        else false()
    )
    query = select(Camera).order_by(Camera.address_id, Camera.name, Camera.id)
    return query.where(or_(Camera.owner_contract_id == contract.id, shared))


def visible_cameras(db: Session, who: Principal) -> list[Camera]:
    return list(db.scalars(visible_cameras_query(db, who)).unique())


def can_view(db: Session, who: Principal, camera_id: str) -> Camera | None:
    """The camera if the caller may see it, else None (callers answer 403/404 without saying which)."""
    query = visible_cameras_query(db, who).where(Camera.id == camera_id)
    return db.scalars(query).unique().first()


def may_view_media(db: Session, who: Principal) -> bool:
    """May this principal still watch video at all? Operators always; a subscriber while the contract is
    active. The billing domain extends this one function with "service suspended for debt"."""
    if who.is_operator:
        return True
    contract = db.get(Contract, who.contract_id) if who.contract_id is not None else None
    return contract is not None and contract.status == "active"


def can_view_media(db: Session, who: Principal, camera_id: str) -> Camera | None:
    """The camera if the caller may watch its video now (``may_view_media`` and ``can_view``), else None."""
    if not may_view_media(db, who):
        return None
    return can_view(db, who, camera_id)
