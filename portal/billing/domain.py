"""The billing domain (docs/billing.md): tariffs and archive depth, the ledger, daily accrual, suspension for
debt, the cabinet's balance pages and the operator console's billing."""

from portal.billing.jobs import start_billing
from portal.billing.payments_job import start_payments_job
from portal.domains import Domain, TaskJob, task_job
from portal.routers import billing, billing_pages, operator_billing, payments, payments_pages
from portal.services import Services
from portal.web.templating import NavItem


def start_accrual(services: Services) -> TaskJob | None:
    """The periodic billing tick (accrual, tariff switches, promised payments); None when the interval is 0."""
    return task_job(start_billing(services, services.settings.billing_interval_seconds))


def start_payments(services: Services) -> TaskJob | None:
    """Reconciliation of payments whose webhook never came, and auto-payments; None when the interval is 0."""
    return task_job(start_payments_job(services, services.settings.payments_job_seconds))


DOMAIN = Domain(
    name="billing",
    routers=(
        billing.router,
        billing_pages.router,
        operator_billing.router,
        payments.router,
        payments_pages.router,
        payments_pages.operator,
    ),
    jobs=(start_accrual, start_payments),
    console_nav=(
        NavItem("tariffs", "Тарифы", "/operator/billing/tariffs"),
        NavItem("debtors", "Должники", "/operator/billing/debtors"),
        NavItem("offers", "Предложения", "/operator/billing/offers"),
        NavItem("payments", "Платежи", "/operator/payments"),
    ),
    installs=(billing.install,),
)
