"""Run one call in its own unit of work and turn failures into the API's error answers.

Login maps database trouble to LoginErrorCode 201 (cannot reach the account store) and 202 (it failed
while answering); other calls answer ErrorCode 1. A refused call changes nothing (rolled back).
"""

import logging
from collections.abc import Mapping

from sqlalchemy.exc import SQLAlchemyError

from portal.billing.gate import ServiceSuspended
from portal.forpost import errors
from portal.forpost.calls import CALLS, Answer
from portal.forpost.context import CallContext
from portal.forpost.errors import ForpostError, LoginError
from portal.forpost.params import Params
from portal.services import Services

log = logging.getLogger(__name__)


def run_call(services: Services, name: str, values: Mapping[str, str], client_ip: str) -> Answer:
    call = CALLS[name.lower()]
    is_login = call is CALLS["login"]
    try:
        session = services.db.sessions()
        session.connection()  # fails here when the database cannot be reached at all
    except SQLAlchemyError:
        log.exception("forpost %s: database unreachable", name)
        return _db_failure(is_login, down=True)
    with session:
        ctx = CallContext(db=session, services=services, params=Params(values), client_ip=client_ip)
        try:
            answer = call(ctx)
            session.commit()
            return answer
        except (ForpostError, LoginError) as refused:
            session.rollback()
            return refused.answer()
        except ServiceSuspended as suspended:  # debt past the grace period: say why and how to pay
            session.rollback()
            return errors.unknown(suspended.message).answer()
        except SQLAlchemyError:
            session.rollback()
            log.exception("forpost %s: database error", name)
            return _db_failure(is_login, down=False)


def _db_failure(is_login: bool, *, down: bool) -> Answer:
    if is_login:
        return LoginError(errors.LOGIN_SERVER_DOWN if down else errors.LOGIN_SERVER_ERROR).answer()
    return errors.unknown("Сервер временно недоступен").answer()
