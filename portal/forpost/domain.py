"""The Forpost Mobile API domain: /api/{Call} and the translation (stream) URLs."""

from portal.domains import Domain
from portal.routers import forpost, translations

# The app includes this domain last: /api/{Call} matches any single-segment /api/ path.
DOMAIN = Domain(name="forpost", routers=(translations.router, forpost.router))
