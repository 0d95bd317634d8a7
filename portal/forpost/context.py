"""What every call gets: the database unit of work, the services, the parameters and the client's address."""

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from portal.auth.sessions import Principal
from portal.forpost.params import Params
from portal.services import Services


@dataclass
class CallContext:
    db: Session
    services: Services
    params: Params
    client_ip: str
    _who: Principal | None = field(default=None, init=False)

    @property
    def who(self) -> Principal:
        """The subscriber behind SessionID; ErrorCode 2 when it is missing, expired or used from another IP."""
        if self._who is None:
            from portal.forpost.sessions import require_session

            self._who = require_session(self.db, self.params.get("SessionID") or "", self.client_ip)
        return self._who

    def act_as(self, who: Principal) -> None:
        """The System API: the request runs as the subscriber's session it was authorised for."""
        self._who = who

    @property
    def zone(self) -> ZoneInfo:
        """The subscriber's zone (dates in parameters), else the portal's display zone."""
        from portal.models import Contract

        contract = self.db.get(Contract, self.contract_id)
        try:
            return ZoneInfo(contract.tz if contract else self.services.settings.display_tz)
        except (KeyError, ValueError):
            return ZoneInfo(self.services.settings.display_tz)

    @property
    def contract_id(self) -> int:
        assert self.who.contract_id is not None  # Forpost sessions are subscribers' only
        return self.who.contract_id
