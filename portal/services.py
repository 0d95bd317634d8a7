"""The portal's long-lived services, built once per process and hung on ``app.state.services``."""

from dataclasses import dataclass, field
from typing import Any

from portal.config import PortalSettings
from portal.db import Database


@dataclass
class Services:
    settings: PortalSettings
    db: Database
    # Filled by the domains that own them (storage backend, MQTT link, ...); keyed by name.
    extra: dict[str, Any] = field(default_factory=dict)
