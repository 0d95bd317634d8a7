"""The Forpost System API under /system-api/{Call}: an ISP platform's credential acting for one subscriber.

Every request: the credential (portal.forpost.system_auth), its rate, the subscriber (UserLogin, UserIP) in its
scope; then the Mobile API's own call runs as that subscriber's system-api session. Every request, allowed or
refused, is logged (forpost_system_uses) in its own transaction, so a refused call is logged too.
"""

import logging
from collections.abc import Callable, Mapping

from sqlalchemy.exc import SQLAlchemyError

from portal.billing.gate import ServiceSuspended
from portal.forpost import archive_calls, calls, cameras, errors, system_auth
from portal.forpost.calls import Answer
from portal.forpost.context import CallContext
from portal.forpost.errors import ForpostError
from portal.forpost.params import Params
from portal.models import utcnow
from portal.models.forpost_system import SystemUse
from portal.services import Services

log = logging.getLogger(__name__)


def get_cameras(ctx: CallContext) -> Answer:
    """The subscriber's cameras (Mobile API fields, Quota in seconds); ``ID`` narrows to one CameraID.
    ``AccountID`` is accepted and not used: a Dozor account is the contract named by UserLogin."""
    ctx.params.integer("AccountID", 0, lo=0)
    wanted = ctx.params.integer("ID", 0, lo=0)
    views = cameras.camera_views(ctx.db, ctx.who, active_only=False)
    if wanted:
        views = [v for v in views if v.number == wanted]
    return [cameras.camera_json(ctx.db, v, parent_groups=False, state=True, contract_id=ctx.contract_id) for v in views]


SYSTEM_CALLS: dict[str, Callable[[CallContext], Answer]] = {
    "gettranslationurl": calls.get_translation_url,
    "stoptranslation": calls.stop_translation,
    "getdownloadurl": archive_calls.get_download_url,
    "getcameralastrecordtime": archive_calls.get_camera_last_record_time,
    "getrecords": archive_calls.get_records,
    "getcameras": get_cameras,
    "getevents": calls.get_events,
}


def run_system_call(services: Services, name: str, values: Mapping[str, str], client_ip: str) -> Answer:
    call = SYSTEM_CALLS[name.lower()]
    params = Params(values)
    operator_id: int | None = None
    answer: Answer
    try:
        with services.db.session() as db:
            ctx = CallContext(db=db, services=services, params=params, client_ip=client_ip)
            try:
                operator = system_auth.authenticate(db, services.settings, params, client_ip)
                operator_id = operator.id
                now = utcnow()
                system_auth.check_rate(db, operator, now)
                contract, user_ip = system_auth.acting_for(db, operator, params)
                ctx.act_as(system_auth.principal_for(db, operator, contract, user_ip, now))
                answer = call(ctx)
                db.commit()
            except system_auth.CredentialRefused as refused:
                db.commit()  # the login throttle's failure counts
                answer = refused.answer()
            except ForpostError as refused:
                db.rollback()
                answer = refused.answer()
            except ServiceSuspended as suspended:
                db.rollback()
                answer = errors.unknown(suspended.message).answer()
    except Exception:  # database trouble or a defect: an ErrorCode, never an HTTP 500
        log.exception("system-api %s failed", name)
        answer = errors.unknown("Сервер временно недоступен").answer()
    _log_use(services, operator_id, name, params, client_ip, answer)
    return answer


def _log_use(
    services: Services, operator_id: int | None, name: str, params: Params, client_ip: str, answer: Answer
) -> None:
    outcome = "ok"
    if isinstance(answer, dict) and "ErrorCode" in answer:
        outcome = f"{answer['ErrorCode']} {answer.get('Error', '')}"[:200]
    try:
        with services.db.session() as db:
            db.add(
                SystemUse(
                    system_operator_id=operator_id,
                    admin_login=(params.get("AdminLogin") or "")[:64],
                    call=name[:40],
                    user_login=(params.get("UserLogin") or "")[:32],
                    user_ip=(params.get("UserIP") or "")[:64],
                    client_ip=client_ip[:64],
                    camera=(params.get("CameraID") or params.get("ID") or "")[:32],
                    outcome=outcome,
                    at=utcnow(),
                )
            )
            db.commit()
    except SQLAlchemyError:
        log.exception("system-api: use of %s not logged", name)
