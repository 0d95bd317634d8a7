"""GetEmbedClient: signed, short-lived URLs of the embeddable player page for the ISP's own cabinet.

The signature (HMAC-SHA256 with the portal's secret key) covers the contract, the Forpost session that asked
for the URL, the camera, the viewer's IP (when the ISP's server names one), the timeline flag and the expiry,
so none of them can be altered. The page and the translations it opens live only as long as that session
(portal/forpost/embed_page.py).
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
    session_id: int  # the Forpost session of the GetEmbedClient call
    camera_id: str  # "" = every camera of the contract
    user_ip: str  # "" = any viewer
    timeline: bool
    expires: int  # unix seconds

    def payload(self) -> str:
        fields = (self.contract_id, self.session_id, self.camera_id, self.user_ip, int(self.timeline), self.expires)
        return "|".join(["forpost-embed", *map(str, fields)])


def sign(secret: str, grant: EmbedGrant) -> str:
    return hmac.new(secret.encode(), grant.payload().encode(), hashlib.sha256).hexdigest()


def embed_url(public_url: str, secret: str, grant: EmbedGrant) -> str:
    query = {
        "c": grant.contract_id,
        "s": grant.session_id,
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
            contract_id=_number(query.get("c", "")),
            session_id=_number(query.get("s", "")),
            camera_id=query.get("cam", ""),
            user_ip=query.get("ip", ""),
            timeline=query.get("t") == "1",
            expires=_number(query.get("exp", "")),
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


def _number(text: str) -> int:
    """A bounded, ASCII-digit integer (int() alone accepts "١٢", "+1" and megabytes of digits)."""
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise ValueError(text)
    return int(text)
