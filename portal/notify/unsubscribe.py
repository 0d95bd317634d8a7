"""One-click unsubscribe links (RFC 8058): an HMAC of contract and category, no login needed."""

import hashlib
import hmac
from urllib.parse import urlencode


def sign(secret: str, contract_id: int, category: str) -> str:
    mac = hmac.new(secret.encode(), f"unsubscribe:{contract_id}:{category}".encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def verify(secret: str, contract_id: int, category: str, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, contract_id, category), signature or "")


def link(public_url: str, secret: str, contract_id: int, category: str) -> str:
    query = urlencode({"c": contract_id, "cat": category, "sig": sign(secret, contract_id, category)})
    return f"{public_url.rstrip('/')}/notify/unsubscribe?{query}"
