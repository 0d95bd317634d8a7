"""The client's real address: the socket peer, or X-Forwarded-For when the peer is a trusted proxy.

Only configured proxies may speak for a client; otherwise anyone could claim a bound ISP address
and be logged in transparently.
"""

import ipaddress
from functools import lru_cache

from fastapi import Request


@lru_cache(maxsize=64)
def _networks(cidrs: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(c.strip(), strict=False) for c in cidrs if c.strip())


def _is_trusted(address: str, cidrs: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in _networks(cidrs))


def client_ip(request: Request) -> str:
    """Walk X-Forwarded-For from the right, skipping trusted proxies; the first untrusted hop is the client."""
    peer = request.client.host if request.client else ""
    trusted = tuple(request.app.state.services.settings.trusted_proxies)
    if not trusted or not _is_trusted(peer, trusted):
        return peer
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # garbage from the outside world: fall back to what we can see
    return hops[0] if hops else peer
