"""The notification centre (docs/notify.md): news and important messages, subscriptions, one delivery outbox
and worker for e-mail, SMS and push; the cabinet's feed and the console's editor and outbox."""

from portal.domains import Domain, TaskJob, task_job
from portal.notify.worker import start_worker
from portal.routers import notify, notify_pages, operator_notify
from portal.services import Services
from portal.web.templating import NavItem


def start_delivery(services: Services) -> TaskJob | None:
    """The delivery worker (None when ``notify_worker_seconds`` <= 0)."""
    return task_job(start_worker(services, services.settings.notify_worker_seconds))


DOMAIN = Domain(
    name="notify",
    routers=tuple(router for module in (notify, notify_pages, operator_notify) for router in module.ROUTERS),
    jobs=(start_delivery,),
    console_nav=(NavItem("notify", "Новости и рассылки", "/operator/notify"),),
)
