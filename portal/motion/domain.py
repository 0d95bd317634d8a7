"""The motion domain: events stored by the fleet consumer (portal/motion/store.py), the events API."""

from portal.domains import Domain
from portal.routers import motion

DOMAIN = Domain(name="motion", routers=(motion.router,))
