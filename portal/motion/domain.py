"""The motion domain: the boxes' motion reports (ingest), the events API and thumbnails, notifications."""

from portal.domains import Domain
from portal.routers import motion

DOMAIN = Domain(name="motion", routers=(motion.ingest_router, motion.router))
