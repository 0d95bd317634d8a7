"""Enrolment: trade the claim code printed for this box for its portal credentials (one-time, on site).

The portal answers `POST {portal}/api/v1/devices/claim {"device_id", "claim_code"}` with the upload token
and MQTT credentials; we keep them in `{data_dir}/enrolment.json` (atomic TinyDB) and they become the box's
`portal:` link. Enrolment closes once it succeeds; the service button's 10 s hold reopens it.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from tinydb import Query

from edge.config import PortalLink
from edge.state import open_state

CLAIM_PATH = "/api/v1/devices/claim"


class EnrolmentError(ValueError):
    """The claim did not succeed; the message names the field or the portal's reason (Russian)."""


def check_portal_url(url: str) -> str:
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise EnrolmentError("адрес портала: нужен http:// или https:// адрес, например https://video.example.net")
    return url


def check_claim_code(code: str) -> str:
    code = code.strip().replace(" ", "")
    if not 4 <= len(code) <= 32:
        raise EnrolmentError("код привязки: от 4 до 32 символов, как на наклейке")
    return code


def claim(portal_url: str, device_id: str, claim_code: str, timeout: float = 15.0) -> PortalLink:
    """Call the portal's claim endpoint; map its answers to what a technician can fix."""
    url = check_portal_url(portal_url)
    code = check_claim_code(claim_code)
    try:
        reply = httpx.post(url + CLAIM_PATH, json={"device_id": device_id, "claim_code": code}, timeout=timeout)
    except httpx.HTTPError as exc:
        raise EnrolmentError(f"адрес портала: портал недоступен ({exc.__class__.__name__}: {exc})") from exc
    if reply.status_code == 403:
        raise EnrolmentError(f"код привязки: портал отказал — {_detail(reply)}")
    if reply.status_code == 422:
        raise EnrolmentError(f"портал не принял запрос: {_detail(reply)}")
    if reply.status_code != 200:
        raise EnrolmentError(f"портал ответил {reply.status_code}: {_detail(reply)}")
    data = reply.json()
    return PortalLink(
        url=data.get("portal_url") or url,
        upload_token=data["upload_token"],
        mqtt_host=data["mqtt_host"],
        mqtt_port=data["mqtt_port"],
        mqtt_username=data.get("mqtt_username") or device_id,
        mqtt_password=data["mqtt_password"],
        mqtt_tls=bool(data.get("mqtt_tls")),
    )


def _detail(reply: httpx.Response) -> str:
    try:
        detail = reply.json().get("detail")
    except ValueError:
        detail = None
    return str(detail or reply.text[:200] or reply.reason_phrase)


class EnrolmentState:
    """Whether enrolment is open, and the link obtained by the last successful claim."""

    def __init__(self, path: Path) -> None:
        self._db = open_state(path)
        self._table = self._db.table("enrolment")
        self._lock = threading.Lock()

    def record(self) -> dict[str, Any]:
        rows = self._table.search(Query().key == "enrolment")
        return dict(rows[0]) if rows else {"key": "enrolment", "open": True}

    @property
    def open(self) -> bool:
        return bool(self.record().get("open", True))

    def link(self) -> PortalLink | None:
        data = self.record().get("link")
        return PortalLink.model_validate(data) if data else None

    def enrolled(self, link: PortalLink) -> None:
        stored = {
            **link.model_dump(),
            "upload_token": link.upload_token.get_secret_value(),  # the box needs them back at start
            "mqtt_password": link.mqtt_password.get_secret_value(),
        }
        self._save({"open": False, "link": stored, "enrolled_at": time.time(), "portal_url": link.url})

    def reopen(self) -> None:
        self._save({"open": True})

    def close(self) -> None:
        self._db.close()

    def _save(self, changes: dict[str, Any]) -> None:
        with self._lock:
            record = {**self.record(), **changes}
            self._table.upsert(record, Query().key == "enrolment")
