"""The portal's long-lived services, built once per process and hung on ``app.state.services``.

Each service has its own typed field, filled by the domain that owns it: the archive's object store at
build time (portal/app.py), the fleet's MQTT link and command sender when the lifespan starts
(portal/fleet/link.py). A field stays None while its owner is not running (no broker configured, or a test
that builds services without a lifespan); callers check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from portal.config import PortalSettings
from portal.db import Database

if TYPE_CHECKING:
    from portal.archive.storage import Storage
    from portal.billing.gateway import PaymentGateway
    from portal.fleet.link import FleetLink
    from portal.forpost.hls_ts import TsCache


class CommandSending(Protocol):
    """What other domains need of the fleet's command sender (portal.fleet.commands.CommandSender).

    ``sent_by`` says who asks, kept with the command (the operator's audit trail): ``operator_sender(login)``,
    ``contract_sender(number)`` for a subscriber's app, or the name of one of the portal's ``SENDING_JOBS``."""

    def send(
        self,
        device_id: str,
        name: str,
        args: dict[str, Any] | None = ...,
        timeout: float | None = ...,
        ttl: timedelta = ...,
        sent_by: str = ...,
    ) -> dict[str, Any] | None: ...


SENDING_JOBS = {
    "ota": "выкатка обновления",
    "billing": "смена тарифа (срок хранения)",
    "archive": "запрос архива с бокса",
    "light": "лёгкий прямой эфир",
}


def operator_sender(login: str) -> str:
    return f"operator:{login}"


def contract_sender(number: str) -> str:
    return f"contract:{number}"


@dataclass
class Services:
    settings: PortalSettings
    db: Database
    storage: Storage | None = None  # the archive's object store (portal.archive.storage.storage_of)
    fleet: FleetLink | None = None  # the MQTT link to the boxes, while the lifespan runs
    commands: CommandSending | None = None  # commands to boxes; None without a broker
    payment_gateway: PaymentGateway | None = None  # built on first use (portal.billing.provider.gateway_of)
    ts_cache: TsCache | None = None  # Forpost's remuxed MPEG-TS segments (portal.forpost.media.ts_cache_of)
