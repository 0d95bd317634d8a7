"""All ORM models; importing this module registers every table on ``Base.metadata``."""

from portal.models.accounts import Address, Contract, LoginSession, Operator
from portal.models.base import Base, UTCDateTime, utcnow
from portal.models.fleet import Camera, Device

__all__ = ["Address", "Base", "Camera", "Contract", "Device", "LoginSession", "Operator", "UTCDateTime", "utcnow"]
