"""Seeds the demo portal once: an entrance, a subscriber, an operator, a box and its two cameras.

The generated secrets are kept in the demo directory so a restarted demo logs in with the same ones.
"""

import json
from pathlib import Path

from portal import migrate
from portal.billing import demo as demo_billing
from portal.cabinet.contracts import create_address, create_contract, generate_password
from portal.cabinet.operators import create_operator
from portal.config import PortalSettings
from portal.db import Database
from portal.fleet.provisioning import add_camera, claim_device, create_device
from portal.notify.demo import seed_demo as seed_notify_demo
from portal.support.demo import seed_demo as seed_support_demo

DEVICE_ID = "demo-box-1"
CONTRACT = "7700123"
OPERATOR = "operator"


def provision(portal_dir: Path, secrets_path: Path, cameras: tuple[tuple[str, str], ...]) -> dict[str, str]:
    if secrets_path.exists():
        return json.loads(secrets_path.read_text(encoding="utf-8"))
    db = Database(PortalSettings(data_dir=portal_dir).resolved_database_url())
    try:
        migrate.upgrade(db)
        password, operator_password = generate_password(), generate_password()
        with db.session() as session:
            address = create_address(session, city="Новокузнецк", street="Шахтёров", house="30", entrance=1)
            contract = create_contract(
                session,
                CONTRACT,
                password,
                address_id=address.id,
                flat="12",
                phones=["+79050756667"],
                emails=["demo@example.org"],
                name="Демо Абонент",
            )
            operator = create_operator(session, OPERATOR, operator_password, name="Оператор демо")
            seed_support_demo(session, contract, operator, "+79050756667")  # contacts + one answered ticket
            claim = create_device(session, DEVICE_ID, "Шахтёров 30 п.1", address_id=address.id)
            for camera_id, name in cameras:
                add_camera(session, DEVICE_ID, camera_id, name, address_id=address.id, retention_days=7)
            credentials = claim_device(session, DEVICE_ID, claim)
            seed_notify_demo(session, address.id)  # two news items, one maintenance banner in force
        demo_billing.seed(db, CONTRACT)  # tariffs, three months of history, a positive balance
    finally:
        db.dispose()
    secrets = {
        "contract": CONTRACT,
        "password": password,
        "operator": OPERATOR,
        "operator_password": operator_password,
        "technician_password": generate_password(),
        "device_id": credentials.device_id,
        "upload_token": credentials.upload_token,
        "mqtt_username": credentials.mqtt_username,
        "mqtt_password": credentials.mqtt_password,
    }
    secrets_path.write_text(json.dumps(secrets, indent=2), encoding="utf-8")
    secrets_path.chmod(0o600)
    return secrets
