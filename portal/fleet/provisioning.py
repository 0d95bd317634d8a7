"""Enrolment of boxes: create a device (-> one-time claim code), claim it (-> credentials), bind cameras.

Secrets are stored hashed: the upload token and claim code as SHA-256 (high entropy, checked per request),
the MQTT password in Mosquitto's own PBKDF2-SHA512 ``$7$`` form so the broker's password file can be written
from the table (see docs/wire.md). The plain secrets are shown once, in the claim answer.
"""

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.orm import Session

from cloud_sync.segments import ID_PATTERN
from portal.auth.passwords import new_token, token_hash
from portal.db import Database
from portal.fleet.mosquitto_hash import mosquitto_hash
from portal.models import Camera, Device
from portal.models.fleet import RETENTION_CHOICES

_ID_RE = re.compile(ID_PATTERN)
_CLAIM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone


class ProvisioningError(ValueError):
    """A refused enrolment step; the message names the field and the reason."""


@dataclass(frozen=True)
class DeviceCredentials:
    device_id: str
    upload_token: str
    mqtt_username: str
    mqtt_password: str


@contextmanager
def _unit(db: Session | Database) -> Iterator[Session]:
    """Accept an open session (caller commits) or the Database (one transaction here)."""
    if isinstance(db, Session):
        yield db
        db.flush()
    else:
        with db.session() as session:
            yield session


def new_claim_code() -> str:
    raw = "".join(secrets.choice(_CLAIM_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def _normalise_claim(code: str) -> str:
    return code.strip().upper().replace(" ", "")


def _check_id(field: str, value: str) -> None:
    if not _ID_RE.match(value or ""):
        raise ProvisioningError(f"{field}: {value!r} must match {ID_PATTERN} (letters, digits, _ . -; up to 64)")


def create_device(db: Session | Database, device_id: str, name: str = "", address_id: int | None = None) -> str:
    """Register a box and return its one-time claim code (printed on the box's label by the installer)."""
    _check_id("device_id", device_id)
    code = new_claim_code()
    with _unit(db) as session:
        if session.get(Device, device_id) is not None:
            raise ProvisioningError(f"device_id: {device_id!r} already exists (use reset_claim to re-enrol it)")
        session.add(Device(id=device_id, name=name, address_id=address_id, claim_code_hash=token_hash(code)))
    return code


def reset_claim(db: Session | Database, device_id: str) -> str:
    """A fresh claim code for an existing box (replaced SD card, lost credentials); old credentials stop working."""
    code = new_claim_code()
    with _unit(db) as session:
        device = _device(session, device_id)
        device.claim_code_hash = token_hash(code)
        device.upload_token_hash = ""
        device.mqtt_password_hash = ""
    return code


def claim_device(db: Session | Database, device_id: str, claim_code: str) -> DeviceCredentials:
    """Exchange the one-time claim code for the box's credentials; the code is spent."""
    with _unit(db) as session:
        device = session.get(Device, device_id)
        given = token_hash(_normalise_claim(claim_code))
        if device is None or not device.claim_code_hash or not secrets.compare_digest(given, device.claim_code_hash):
            raise ProvisioningError("claim_code: unknown device or wrong/already used claim code")
        upload_token, mqtt_password = new_token(), new_token()
        device.upload_token_hash = token_hash(upload_token)
        device.mqtt_password_hash = mosquitto_hash(mqtt_password)
        device.claim_code_hash = ""
    return DeviceCredentials(device_id, upload_token, device_id, mqtt_password)


def add_camera(
    db: Session | Database,
    device_id: str,
    camera_id: str,
    name: str,
    address_id: int | None = None,
    owner_contract_id: int | None = None,
    retention_days: int = 7,
) -> None:
    """Bind a camera to a box (camera ids are global: the box may upload only its own cameras)."""
    _check_id("camera_id", camera_id)
    if retention_days not in RETENTION_CHOICES:
        raise ProvisioningError(f"retention_days: {retention_days} is not one of {RETENTION_CHOICES}")
    with _unit(db) as session:
        device = _device(session, device_id)
        existing = session.get(Camera, camera_id)
        if existing is not None and existing.device_id != device_id:
            raise ProvisioningError(f"camera_id: {camera_id!r} belongs to device {existing.device_id!r}")
        if existing is not None:
            raise ProvisioningError(f"camera_id: {camera_id!r} already exists on this device")
        session.add(
            Camera(
                id=camera_id,
                device_id=device_id,
                name=name,
                address_id=address_id if address_id is not None else device.address_id,
                owner_contract_id=owner_contract_id,
                retention_days=retention_days,
            )
        )


def _device(session: Session, device_id: str) -> Device:
    device = session.get(Device, device_id)
    if device is None:
        raise ProvisioningError(f"device_id: no device {device_id!r}")
    return device
