"""Enrol simulated boxes in the portal's database and write the broker's password file and ACL for them.

``dozor sim provision N`` runs where the portal's settings are (DOZOR_DATABASE_URL, DOZOR_MQTT_URL); it
writes a credentials file that ``dozor sim boxes`` reads. Each box gets its own MQTT password and upload
token, exactly as a real box gets them by claiming.
"""

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import select

from portal.db import Database
from portal.fleet.provisioning import add_camera, claim_device, create_device
from portal.models import Device


@dataclass(frozen=True)
class SimBoxCredentials:
    device_id: str
    upload_token: str
    mqtt_password: str
    cameras: tuple[str, ...]


def box_id(prefix: str, index: int) -> str:
    return f"{prefix}-{index:05d}"


def provision(db: Database, count: int, cameras: int, prefix: str = "sim") -> list[SimBoxCredentials]:
    """Create and claim ``count`` boxes with ``cameras`` cameras each (new ids after any existing ones)."""
    with db.session() as session:
        taken = set(session.scalars(select(Device.id).where(Device.id.like(f"{prefix}-%"))))
    boxes: list[SimBoxCredentials] = []
    index = 0
    while len(boxes) < count:
        device_id = box_id(prefix, index)
        index += 1
        if device_id in taken:
            continue
        code = create_device(db, device_id, f"simulated box {device_id}")
        creds = claim_device(db, device_id, code)
        camera_ids = tuple(f"{device_id}-c{c}" for c in range(cameras))
        for camera_id in camera_ids:
            add_camera(db, device_id, camera_id, f"simulated camera {camera_id}")
        boxes.append(SimBoxCredentials(device_id, creds.upload_token, creds.mqtt_password, camera_ids))
    return boxes


def save(path: Path, boxes: list[SimBoxCredentials]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([asdict(b) for b in boxes], indent=1))
    path.chmod(0o600)  # credentials
    return path


def load(path: Path) -> list[SimBoxCredentials]:
    rows = json.loads(Path(path).read_text())
    return [SimBoxCredentials(r["device_id"], r["upload_token"], r["mqtt_password"], tuple(r["cameras"])) for r in rows]
