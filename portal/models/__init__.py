"""All ORM models; importing this module registers every table on ``Base.metadata``."""

import portal.models.forpost
import portal.models.notify
import portal.models.support  # noqa: F401 - registers the support desk's tables
from portal.models.accounts import Address, Contract, LoginSession, Operator
from portal.models.archive import (
    ArchiveCamera,
    ArchiveFetch,
    ArchiveGap,
    ArchiveHolding,
    ArchiveRun,
    ArchiveSegment,
    ArchiveSpan,
)
from portal.models.base import Base, UTCDateTime, utcnow
from portal.models.cabinet import (
    CameraPlacement,
    ContactConfirmation,
    ContractEmail,
    ContractPhone,
    Favourite,
    IpBinding,
    LoginThrottle,
    OutboxMessage,
    PlacementObject,
    RecoveryRequest,
)
from portal.models.devices_state import DeviceCommand, DeviceEvent, DeviceHealth
from portal.models.fleet import Camera, Device

__all__ = [
    "Address",
    "ArchiveCamera",
    "ArchiveFetch",
    "ArchiveGap",
    "ArchiveHolding",
    "ArchiveRun",
    "ArchiveSegment",
    "ArchiveSpan",
    "Base",
    "Camera",
    "CameraPlacement",
    "ContactConfirmation",
    "Contract",
    "ContractEmail",
    "ContractPhone",
    "Device",
    "DeviceCommand",
    "DeviceEvent",
    "DeviceHealth",
    "Favourite",
    "IpBinding",
    "LoginSession",
    "LoginThrottle",
    "Operator",
    "OutboxMessage",
    "PlacementObject",
    "RecoveryRequest",
    "UTCDateTime",
    "utcnow",
]
