"""The people and cameras the cabinet tests use, provisioned through the public provisioning functions.

A and C live at the same entrance (Шахтёров 30 п.1); B lives at another entrance. Cameras: one shared
camera per entrance, and one private camera of A's.
"""

from dataclasses import dataclass

from portal.cabinet.contracts import create_address, create_contract
from portal.cabinet.ip_bindings import bind_ip
from portal.cabinet.operators import create_operator
from portal.db import Database
from portal.fleet.provisioning import add_camera, claim_device, create_device
from portal.models import Device

PASSWORD = "Kamera2024x"
OPERATOR_PASSWORD = "Pult2024secret"


@dataclass
class World:
    contract_a: str = "100101"
    contract_b: str = "100202"
    contract_c: str = "100103"
    operator: str = "admin"
    shared_a: str = "cam-shakht30-1"
    private_a: str = "cam-a-private"
    shared_b: str = "cam-kirova5-2"
    phone_a: str = "+79051234567"
    phone_a2: str = "+79137654321"
    phone_b: str = "+79990001122"
    device: str = "box-shakht30"
    upload_token: str = ""
    bound_network: str = "10.20.30.0/24"
    bound_ip: str = "10.20.30.7"
    ids: dict[str, int] | None = None


def provision(db: Database) -> World:
    world = World()
    with db.session() as s:
        addr_a = create_address(s, "Новокузнецк", "Шахтёров", "30", 1)
        addr_b = create_address(s, "Новокузнецк", "Кирова", "5", 2)
        a = create_contract(
            s, world.contract_a, PASSWORD, addr_a.id, "12", [world.phone_a, world.phone_a2], ["a@mail.ru"]
        )
        b = create_contract(s, world.contract_b, PASSWORD, addr_b.id, "3", [world.phone_b])
        c = create_contract(s, world.contract_c, PASSWORD, addr_a.id, "40", ["+79001112233"])
        create_operator(s, world.operator, OPERATOR_PASSWORD)
        bind_ip(s, a.id, world.bound_network)
        world.ids = {"a": a.id, "b": b.id, "c": c.id, "addr_a": addr_a.id, "addr_b": addr_b.id}
    code = create_device(db, world.device, "Шахтёров 30", addr_a.id)
    world.upload_token = claim_device(db, world.device, code).upload_token
    create_device(db, "box-kirova5", "Кирова 5", addr_b.id)
    add_camera(db, world.device, world.shared_a, "Вход", address_id=addr_a.id)
    add_camera(db, world.device, world.private_a, "Парковка", address_id=None, owner_contract_id=a.id)
    add_camera(db, "box-kirova5", world.shared_b, "Двор", address_id=addr_b.id)
    with db.session() as s:
        s.get(Device, world.device).state = "online"
    return world
