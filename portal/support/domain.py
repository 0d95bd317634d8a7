"""The support desk domain (docs/support.md): JSON API, subscriber and visitor pages, live chat, console."""

from portal.domains import Domain
from portal.routers import operator_support, operator_support_api, support, support_chat, support_pages
from portal.web.templating import NavItem

DOMAIN = Domain(
    name="support",
    routers=tuple(
        router
        for module in (support, support_pages, support_chat, operator_support, operator_support_api)
        for router in module.ROUTERS
    ),
    console_nav=(NavItem("support", "Поддержка", "/operator/support"),),
)
