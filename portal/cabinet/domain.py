"""The cabinet domain: sign-in, the subscriber's pages and account, the operator console and its API."""

from portal.domains import Domain
from portal.routers import account, auth, operator, web

DOMAIN = Domain(
    name="cabinet",
    routers=(auth.router, auth.pages, web.router, account.router, operator.router, operator.api),
)
