"""The Forpost domain: the Mobile API (/api/{Call}), the System API (/system-api/{Call}), the translation and
clip-download URLs, and the console page of System API credentials."""

from portal.domains import Domain
from portal.routers import forpost, forpost_downloads, operator_forpost, system_api, translations
from portal.web.templating import NavItem

# The app includes this domain last: /api/{Call} matches any single-segment /api/ path.
DOMAIN = Domain(
    name="forpost",
    routers=(translations.router, forpost_downloads.router, system_api.router, operator_forpost.router, forpost.router),
    console_nav=(NavItem("forpost", "System API", "/operator/forpost"),),
)
