"""GetCameras, GetCameraCategories and ToggleFavCamera from the cabinet's model.

Private cameras (bound to the contract) are grouped by their placement object; shared entrance cameras
are "copy" cameras of the account that shares them (the entrance's placement object, «Домовые камеры»
by default) and carry that account as ParentGroups.
"""

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from portal.access import visible_cameras
from portal.auth.sessions import Principal
from portal.billing.gate import visible_depth_days
from portal.forpost.numbers import numbers_for
from portal.models import Camera, CameraPlacement, Contract, Favourite, PlacementObject
from portal.models.forpost import ControlledDevice, HomeMode

MY_CAMERAS = "Мои камеры"
OTHER_CAMERAS = "Другие камеры"
FAVOURITES = "Избранное"
SHARED_DEFAULT = "Домовые камеры"


@dataclass(frozen=True)
class Group:
    id: int
    name: str
    parent_id: int = 0


@dataclass
class CameraView:
    camera: Camera
    number: int
    private: bool
    group: Group | None  # placement object of a private camera, sharing account of a shared one
    parents: list[Group]
    fav: bool
    home_mode: bool
    devices: list[ControlledDevice]


def camera_views(db: Session, who: Principal, active_only: bool = True) -> list[CameraView]:
    cameras = [c for c in visible_cameras(db, who) if c.enabled or not active_only]
    ids = [c.id for c in cameras]
    numbers = numbers_for(db, ids)
    placed = _placements(db, ids)
    objects = _objects_with_parents(db, [o.id for o in placed.values()] + _address_object_ids(db, cameras))
    address_groups = _address_groups(objects)
    favs = set(db.scalars(select(Favourite.camera_id).where(Favourite.contract_id == who.contract_id)))
    homes = set(db.scalars(select(HomeMode.camera_id).where(HomeMode.camera_id.in_(ids), HomeMode.enabled)))
    devices: dict[str, list[ControlledDevice]] = {}
    for device in db.scalars(select(ControlledDevice).where(ControlledDevice.camera_id.in_(ids))):
        devices.setdefault(device.camera_id, []).append(device)
    views = []
    for camera in cameras:
        private = camera.owner_contract_id == who.contract_id
        placement = placed.get(camera.id)
        if private:
            group = _group(placement) if placement else None
        else:
            group = _group(placement) if placement and placement.address_id else address_groups.get(camera.address_id)
            group = group or Group(0, SHARED_DEFAULT)
        views.append(
            CameraView(
                camera=camera,
                number=numbers[camera.id],
                private=private,
                group=group,
                parents=_chain(group, objects) if group else [],
                fav=camera.id in favs,
                home_mode=camera.id in homes,
                devices=devices.get(camera.id, []),
            )
        )
    return views


def camera_json(
    db: Session, view: CameraView, *, parent_groups: bool, state: bool, contract_id: int | None = None
) -> dict[str, object]:
    camera = view.camera
    out: dict[str, object] = {
        "CameraID": view.number,
        "Name": camera.name,
        "AccountObjectID": view.group.id if view.group else 0,
        "AccountObjectName": view.group.name if view.group else "",
        "PTZ": 0,
        "Sound": 0,
        "Quota": visible_depth_days(db, contract_id, camera) * 86400,
        "PermanentRecord": 1,
        "Fav": int(view.fav),
        "Devices": [{"ID": d.id, "Name": d.name} for d in view.devices],
        "IsActive": int(camera.enabled),
        "Address": _address(db, camera),
        "HomeModeAccess": int(view.private),
        "HomeMode": int(view.home_mode),
        "IsRecord": int(camera.enabled and not view.home_mode),
    }
    if parent_groups and not view.private:
        out["ParentGroups"] = [{"ID": g.id, "Name": g.name, "ParentID": g.parent_id} for g in view.parents]
    if state:
        out["State"] = int(camera.online)
    return out


def categories(views: list[CameraView]) -> dict[str, list[int]]:
    """The app's tabs: placement objects, «Мои камеры»/«Другие камеры», sharing accounts, «Избранное»."""
    out: dict[str, list[int]] = {}
    private = [v for v in views if v.private]
    any_placed = any(v.group for v in private)
    for view in private:
        name = view.group.name if view.group else (OTHER_CAMERAS if any_placed else MY_CAMERAS)
        out.setdefault(name, []).append(view.number)
    for view in views:
        if not view.private and view.group:
            out.setdefault(view.group.name, []).append(view.number)
    favourites = [v.number for v in views if v.fav]
    if favourites:
        out[FAVOURITES] = favourites
    return out


def toggle_favourite(db: Session, contract_id: int, camera_id: str) -> bool:
    """True when the camera became a favourite, False when it stopped being one."""
    gone = db.execute(
        delete(Favourite).where(Favourite.contract_id == contract_id, Favourite.camera_id == camera_id)
    ).rowcount
    if gone:
        return False
    db.add(Favourite(contract_id=contract_id, camera_id=camera_id))
    db.flush()
    return True


def _placements(db: Session, camera_ids: list[str]) -> dict[str, PlacementObject]:
    rows = db.execute(
        select(CameraPlacement.camera_id, PlacementObject)
        .join(PlacementObject, PlacementObject.id == CameraPlacement.object_id)
        .where(CameraPlacement.camera_id.in_(camera_ids))
    )
    return {camera_id: obj for camera_id, obj in rows}


def _address_object_ids(db: Session, cameras: list[Camera]) -> list[int]:
    addresses = {c.address_id for c in cameras if c.address_id is not None}
    if not addresses:
        return []
    return list(db.scalars(select(PlacementObject.id).where(PlacementObject.address_id.in_(addresses))))


def _objects_with_parents(db: Session, ids: list[int]) -> dict[int, PlacementObject]:
    objects: dict[int, PlacementObject] = {}
    wanted = set(ids)
    while wanted:
        found = list(db.scalars(select(PlacementObject).where(PlacementObject.id.in_(wanted))))
        objects.update({o.id: o for o in found})
        wanted = {o.parent_id for o in found if o.parent_id and o.parent_id not in objects}
    return objects


def _address_groups(objects: dict[int, PlacementObject]) -> dict[int, Group]:
    """The first (oldest) object of each entrance is the account its shared cameras appear under."""
    groups: dict[int, Group] = {}
    for obj in sorted(objects.values(), key=lambda o: o.id):
        if obj.address_id is not None and obj.address_id not in groups:
            groups[obj.address_id] = _group(obj)
    return groups


def _group(obj: PlacementObject) -> Group:
    return Group(obj.id, obj.name, obj.parent_id or 0)


def _chain(group: Group, objects: dict[int, PlacementObject]) -> list[Group]:
    chain = [group]
    seen = {group.id}
    parent = objects.get(group.parent_id)
    while parent is not None and parent.id not in seen:
        seen.add(parent.id)
        chain.append(_group(parent))
        parent = objects.get(parent.parent_id or 0)
    return chain


def _address(db: Session, camera: Camera) -> str:
    if camera.address is not None:
        return camera.address.full
    if camera.owner is not None and camera.owner.address_id is not None:
        contract = db.get(Contract, camera.owner.id)
        return contract.address.full if contract and contract.address else ""
    return ""
