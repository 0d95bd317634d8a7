"""All ORM models; importing this module registers every table on ``Base.metadata``."""

import portal.models.forpost
import portal.models.forpost_system
import portal.models.light
import portal.models.motion
import portal.models.notify
import portal.models.ota
import portal.models.shares
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
    ArchiveThumbnail,
)
from portal.models.base import Base, UTCDateTime, utcnow
from portal.models.billing import (
    BillingSettings,
    CameraRetentionOverride,
    ContractBilling,
    LedgerEntry,
    Offer,
    OfferAcceptance,
    OfferTarget,
    PromisedPayment,
    Tariff,
)
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
from portal.models.payments import Autopay, Payment, Refund, SandboxPayment
from portal.models.scale import ConsumerSlot

__all__ = [
    "Address",
    "Autopay",
    "ArchiveCamera",
    "ArchiveFetch",
    "ArchiveGap",
    "ArchiveHolding",
    "ArchiveRun",
    "ArchiveSegment",
    "ArchiveSpan",
    "ArchiveThumbnail",
    "Base",
    "BillingSettings",
    "Camera",
    "CameraPlacement",
    "CameraRetentionOverride",
    "ConsumerSlot",
    "ContactConfirmation",
    "Contract",
    "ContractBilling",
    "ContractEmail",
    "ContractPhone",
    "Device",
    "DeviceCommand",
    "DeviceEvent",
    "DeviceHealth",
    "Favourite",
    "IpBinding",
    "LedgerEntry",
    "LoginSession",
    "LoginThrottle",
    "Offer",
    "OfferAcceptance",
    "OfferTarget",
    "Operator",
    "OutboxMessage",
    "Payment",
    "PlacementObject",
    "PromisedPayment",
    "RecoveryRequest",
    "Refund",
    "SandboxPayment",
    "Tariff",
    "UTCDateTime",
    "utcnow",
]
