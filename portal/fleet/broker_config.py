"""`dozor portal mosquitto-config`: the broker's password file and ACL, written from the portal's device table.

Each claimed box gets one password line; the ACL gives every user (hence every box) only its own subtree,
``dozor/v1/<username>/#``, and gives the portal's own user all of ``dozor/v1/#``. Mosquitto re-reads both
files on SIGHUP.
"""

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud_sync import mqtt_protocol, topics
from cloud_sync.durable import write_atomic
from portal.fleet.mosquitto_hash import mosquitto_hash
from portal.models import Device


@dataclass(frozen=True)
class BrokerUrl:
    host: str
    port: int
    username: str
    password: str
    tls: bool
    protocol: mqtt_protocol.Protocol = "5"


def parse_mqtt_url(url: str) -> BrokerUrl:
    """``mqtt://user:pass@host:1883`` or ``mqtts://…:8883``, optionally ``?protocol=3.1.1``; ValueError naming
    what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts"):
        raise ValueError(f"mqtt_url: scheme must be mqtt or mqtts, got {parts.scheme!r}")
    if not parts.hostname:
        raise ValueError("mqtt_url: no host")
    tls = parts.scheme == "mqtts"
    return BrokerUrl(
        host=parts.hostname,
        port=parts.port or (8883 if tls else 1883),
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        tls=tls,
        protocol=mqtt_protocol.check(parse_qs(parts.query).get("protocol", ["5"])[0]),
    )


def password_lines(db: Session, portal_user: str, portal_password: str) -> list[str]:
    lines = [f"{portal_user}:{mosquitto_hash(portal_password)}"]
    rows = db.execute(select(Device.id, Device.mqtt_password_hash).order_by(Device.id))
    for device_id, stored in rows:
        if stored.startswith("$7$") and device_id != portal_user:
            lines.append(f"{device_id}:{stored}")
    return lines


def acl_lines(portal_user: str) -> list[str]:
    return [
        "# Written by `dozor portal mosquitto-config`; do not edit by hand.",
        "# Every box: only its own subtree (%u = MQTT username = device id).",
        f"pattern readwrite {topics.PREFIX}/%u/#",
        "",
        "# The portal: every box's subtree (state in, commands out).",
        f"user {portal_user}",
        f"topic readwrite {topics.PREFIX}/#",
    ]


def write_broker_files(db: Session, out_dir: Path, portal_user: str, portal_password: str) -> tuple[Path, Path]:
    """Write ``passwd`` and ``acl`` into out_dir atomically (the broker may be reading the old ones)."""
    if not portal_user or not portal_password:
        raise ValueError("mqtt_url: the portal's MQTT username and password are required (mqtt://user:pass@host)")
    out_dir.mkdir(parents=True, exist_ok=True)
    passwd = _write_atomic(out_dir / "passwd", "\n".join(password_lines(db, portal_user, portal_password)) + "\n")
    acl = _write_atomic(out_dir / "acl", "\n".join(acl_lines(portal_user)) + "\n")
    return passwd, acl


def _write_atomic(path: Path, text: str) -> Path:
    write_atomic(path, text, mode=0o640)  # hashes only; group-readable for the broker
    return path
