"""The cabinet's camera list: the subscriber's visible cameras grouped by address, with state."""

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from portal.access import visible_cameras
from portal.archive.online import online_ids
from portal.auth.sessions import Principal
from portal.cabinet.favourites import favourite_ids
from portal.models import Camera


@dataclass
class CameraCard:
    camera: Camera
    title: str  # the seed's form: «Шахтёров 30 п.1 — Вход»
    online: bool
    recording: bool
    favourite: bool
    shared: bool


@dataclass
class AddressGroup:
    title: str
    full: str
    cards: list[CameraCard] = field(default_factory=list)


def _card(camera: Camera, favourites: set[str], online: bool) -> CameraCard:
    short = camera.address.short if camera.address else ""
    return CameraCard(
        camera=camera,
        title=f"{short} — {camera.name}" if short else camera.name,
        online=online,
        recording=online and camera.state == "recording",
        favourite=camera.id in favourites,
        shared=camera.owner_contract_id is None,
    )


def cameras_by_address(db: Session, who: Principal, only_favourites: bool = False) -> list[AddressGroup]:
    favourites = favourite_ids(db, who.contract_id) if who.contract_id else set()
    groups: dict[str, AddressGroup] = {}
    cameras = visible_cameras(db, who)
    online = online_ids(db, cameras)
    for camera in cameras:
        if only_favourites and camera.id not in favourites:
            continue
        address = camera.address
        key = address.short if address else "Без адреса"
        group = groups.setdefault(key, AddressGroup(key, address.full if address else ""))
        group.cards.append(_card(camera, favourites, camera.id in online))
    return list(groups.values())
