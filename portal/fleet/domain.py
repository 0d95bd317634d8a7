"""The fleet domain: box enrolment and commands API, the console's devices page, the MQTT link to boxes."""

from portal.domains import Domain
from portal.fleet.command_log import start_pruning
from portal.fleet.link import start_fleet_link
from portal.routers import fleet, operator_fleet
from portal.web.templating import NavItem

DOMAIN = Domain(
    name="fleet",
    routers=(fleet.router, operator_fleet.router),
    jobs=(start_fleet_link, start_pruning),  # the link fills services.fleet and services.commands
    console_nav=(NavItem("fleet", "Устройства", "/operator/fleet"),),
)
