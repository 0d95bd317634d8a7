"""How long each camera's archive is kept, from the tariffs of the contracts that see it.

A camera keeps the largest depth any active contract that sees it may need (its current tariff or one it is
switching to), or the operator's override. ``Camera.retention_days`` holds that figure: the archive sweeper
deletes by it and the box is told it (``config.set``). So going down a tier never deletes video another
contract may still see: the camera shrinks only when no viewer needs the depth any more. Cameras nobody
with a tariff sees keep the depth the operator gave them at provisioning.
"""

import logging
from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import Camera, CameraRetentionOverride, Contract, ContractBilling, Tariff

log = logging.getLogger(__name__)


def _needed_by_contract(db: Session) -> tuple[dict[int, int], dict[int, int]]:
    """(contract id -> depth, address id -> largest depth of its active contracts) from tariffs and pending ones."""
    current = select(ContractBilling.contract_id, Tariff.archive_days).join(
        Tariff, Tariff.id == ContractBilling.tariff_id
    )
    pending = select(ContractBilling.contract_id, Tariff.archive_days).join(
        Tariff, Tariff.id == ContractBilling.pending_tariff_id
    )
    needs: dict[int, int] = defaultdict(int)
    for contract_id, days in [*db.execute(current), *db.execute(pending)]:
        needs[contract_id] = max(needs[contract_id], days)
    by_address: dict[int, int] = defaultdict(int)
    active: dict[int, int] = {}
    for contract_id, address_id in db.execute(
        select(Contract.id, Contract.address_id).where(Contract.status == "active")
    ):
        if contract_id in needs:
            active[contract_id] = needs[contract_id]
            if address_id is not None:
                by_address[address_id] = max(by_address[address_id], needs[contract_id])
    return active, by_address


def kept_depths(db: Session) -> dict[str, int]:
    """camera id -> the days it must keep; cameras absent here keep what they have."""
    needs, by_address = _needed_by_contract(db)
    overrides = dict(db.execute(select(CameraRetentionOverride.camera_id, CameraRetentionOverride.days)).all())
    out: dict[str, int] = {}
    for camera_id, owner, address_id in db.execute(select(Camera.id, Camera.owner_contract_id, Camera.address_id)):
        if camera_id in overrides:
            out[camera_id] = overrides[camera_id]
        elif owner is not None:
            if owner in needs:
                out[camera_id] = needs[owner]
        elif address_id is not None and address_id in by_address:
            out[camera_id] = by_address[address_id]
    return out


def refresh(db: Session) -> dict[str, int]:
    """Set every camera's kept depth. Returns camera id -> new days of the cameras that changed."""
    changed: dict[str, int] = {}
    wanted = kept_depths(db)
    for camera in db.scalars(select(Camera).where(Camera.id.in_(list(wanted)))).unique():
        if camera.retention_days != wanted[camera.id]:
            changed[camera.id] = camera.retention_days = wanted[camera.id]
    db.flush()
    return changed


def refresh_and_tell(services) -> dict[str, int]:
    """Refresh in its own unit of work, then (after the commit) tell the boxes whose cameras changed."""
    with services.db.session() as db:
        changed = refresh(db)
    commands = services.commands
    if changed and commands is not None:
        with services.db.session() as db:
            tell_boxes(db, commands, changed)
    return changed


def tell_boxes(db: Session, commands, changed: dict[str, int]) -> None:
    """The box keeps one archive depth for all its cameras: the largest of them (``config.set``)."""
    devices = set(db.scalars(select(Camera.device_id).where(Camera.id.in_(list(changed)))))
    for device_id, days in db.execute(
        select(Camera.device_id, func.max(Camera.retention_days))
        .where(Camera.device_id.in_(devices))
        .group_by(Camera.device_id)
    ):
        ids = list(db.scalars(select(Camera.id).where(Camera.device_id == device_id)))
        try:
            args = {"retention_days": days, "cameras": [{"id": i} for i in ids]}
            commands.send(device_id, "config.set", args, sent_by="billing")
        except Exception as refused:  # an offline or old box: the next change (or refresh) tries again
            log.warning("retention %s days not sent to %s: %s", days, device_id, refused)
