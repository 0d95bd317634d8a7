"""GetEmbedClient: signed, short-lived URLs of the embeddable player page for the ISP's own cabinet.

The signature (HMAC-SHA256 with the portal's secret key) covers the contract, the camera, the viewer's
IP (when the ISP's server names one), the timeline flag and the expiry, so none of them can be altered.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from portal.models import utcnow

PAGE = "/embed/forpost"


@dataclass(frozen=True)
class EmbedGrant:
    contract_id: int
    camera_id: str  # "" = every camera of the contract
    user_ip: str  # "" = any viewer
    timeline: bool
    expires: int  # unix seconds

    def payload(self) -> str:
        return f"forpost-embed|{self.contract_id}|{self.camera_id}|{self.user_ip}|{int(self.timeline)}|{self.expires}"


def sign(secret: str, grant: EmbedGrant) -> str:
    return hmac.new(secret.encode(), grant.payload().encode(), hashlib.sha256).hexdigest()


def embed_url(public_url: str, secret: str, grant: EmbedGrant) -> str:
    query = {
        "c": grant.contract_id,
        "cam": grant.camera_id,
        "ip": grant.user_ip,
        "t": int(grant.timeline),
        "exp": grant.expires,
        "sig": sign(secret, grant),
    }
    return f"{public_url.rstrip('/')}{PAGE}?{urlencode(query)}"


def verify(secret: str, query: dict[str, str], client_ip: str, now: datetime | None = None) -> EmbedGrant | None:
    """The grant of a signed query if the signature holds, it has not expired and the viewer matches."""
    try:
        grant = EmbedGrant(
            contract_id=int(query.get("c", "")),
            camera_id=query.get("cam", ""),
            user_ip=query.get("ip", ""),
            timeline=query.get("t") == "1",
            expires=int(query.get("exp", "")),
        )
    except ValueError:
        return None
    if not hmac.compare_digest(sign(secret, grant), query.get("sig", "")):
        return None
    if grant.expires <= (now or utcnow()).timestamp():
        return None
    if grant.user_ip and grant.user_ip != client_ip:
        return None
    return grant
