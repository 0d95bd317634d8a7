"""The billing domain (docs/billing.md): tariffs and archive depth, the ledger, daily accrual, suspension for
debt, the cabinet's balance pages and the operator console's billing."""

from portal.billing.jobs import start_billing
from portal.domains import Domain, TaskJob, task_job
from portal.routers import billing, billing_pages, operator_billing
from portal.services import Services
from portal.web.templating import NavItem


def start_accrual(services: Services) -> TaskJob | None:
    """The periodic billing tick (accrual, tariff switches, promised payments); None when the interval is 0."""
    return task_job(start_billing(services, services.settings.billing_interval_seconds))


DOMAIN = Domain(
    name="billing",
    routers=(billing.router, billing_pages.router, operator_billing.router),
    jobs=(start_accrual,),
    console_nav=(
        NavItem("tariffs", "Тарифы", "/operator/billing/tariffs"),
        NavItem("debtors", "Должники", "/operator/billing/debtors"),
        NavItem("offers", "Предложения", "/operator/billing/offers"),
    ),
    installs=(billing.install,),
)
