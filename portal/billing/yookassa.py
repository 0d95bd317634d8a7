"""YooKassa API v3 adapter (https://yookassa.ru/developers/api), written from the public docs.

Every call authenticates with HTTP Basic ``shopId:secretKey``; every POST carries an ``Idempotence-Key``
(the same key with the same body returns the first result, so a retry after a timeout never charges twice).
Amounts go on the wire as ``{"value": "150.00", "currency": "RUB"}``.
"""

import re
from typing import Any

import httpx

from portal.billing.gateway import GatewayError, GatewayPayment, GatewayRefund

API_URL = "https://api.yookassa.ru/v3"
_VALUE = re.compile(r"^(\d{1,10})(?:\.(\d{1,2}))?$")


def wire_value(kopecks: int) -> str:
    return f"{kopecks // 100}.{kopecks % 100:02d}"


def wire_kopecks(value: object) -> int:
    """The provider's decimal string as kopecks; anything else is a malformed response, not a number to guess."""
    match = _VALUE.match(str(value))
    if match is None:
        raise GatewayError(f"malformed amount value {value!r} from the provider", retryable=False)
    return int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))


def parse_payment(body: dict[str, Any]) -> GatewayPayment:
    try:
        amount = body["amount"]
        method = body.get("payment_method") or {}
        card = method.get("card") or {}
        title = method.get("title") or (f"Карта *{card['last4']}" if card.get("last4") else "")
        return GatewayPayment(
            id=str(body["id"]),
            status=str(body["status"]),
            paid=bool(body.get("paid", False)),
            amount_kopecks=wire_kopecks(amount["value"]),
            currency=str(amount["currency"]),
            confirmation_url=(body.get("confirmation") or {}).get("confirmation_url"),
            payment_method_id=method.get("id"),
            payment_method_saved=bool(method.get("saved", False)),
            payment_method_title=str(title)[:100],
            cancellation_reason=str((body.get("cancellation_details") or {}).get("reason", "")),
            metadata={str(k): str(v) for k, v in (body.get("metadata") or {}).items()},
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise GatewayError(f"malformed payment object from the provider: {exc!r}", retryable=False) from None


def parse_refund(body: dict[str, Any]) -> GatewayRefund:
    try:
        return GatewayRefund(
            id=str(body["id"]),
            payment_id=str(body["payment_id"]),
            status=str(body["status"]),
            amount_kopecks=wire_kopecks(body["amount"]["value"]),
            currency=str(body["amount"]["currency"]),
        )
    except (KeyError, TypeError) as exc:
        raise GatewayError(f"malformed refund object from the provider: {exc!r}", retryable=False) from None


class YooKassaGateway:
    name = "yookassa"

    def __init__(
        self,
        shop_id: str,
        secret_key: str,
        api_url: str = API_URL,
        timeout: float = 15.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self._client = httpx.Client(auth=(shop_id, secret_key), timeout=timeout, transport=transport)

    def create_payment(
        self,
        *,
        amount_kopecks: int,
        description: str,
        return_url: str,
        idempotence_key: str,
        save_payment_method: bool = False,
        payment_method_id: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> GatewayPayment:
        body: dict[str, Any] = {
            "amount": {"value": wire_value(amount_kopecks), "currency": "RUB"},
            "capture": True,  # one-stage: money is taken when the payer confirms; no separate capture call
            "description": description[:128],  # the API's limit
            "metadata": metadata or {},
        }
        if payment_method_id:  # a recurring charge of a saved card: no payer present, no redirect
            body["payment_method_id"] = payment_method_id
        else:
            body["confirmation"] = {"type": "redirect", "return_url": return_url}
            body["save_payment_method"] = save_payment_method
        return parse_payment(self._post("/payments", body, idempotence_key))

    def get_payment(self, payment_id: str) -> GatewayPayment:
        return parse_payment(self._request("GET", f"/payments/{_segment(payment_id)}"))

    def create_refund(self, *, payment_id: str, amount_kopecks: int, idempotence_key: str) -> GatewayRefund:
        body = {"payment_id": payment_id, "amount": {"value": wire_value(amount_kopecks), "currency": "RUB"}}
        return parse_refund(self._post("/refunds", body, idempotence_key))

    def get_refund(self, refund_id: str) -> GatewayRefund:
        return parse_refund(self._request("GET", f"/refunds/{_segment(refund_id)}"))

    def close(self) -> None:
        self._client.close()

    def _post(self, path: str, body: dict[str, Any], key: str) -> dict[str, Any]:
        return self._request("POST", path, json=body, headers={"Idempotence-Key": key})

    def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._client.request(method, self.api_url + path, **kwargs)
        except httpx.HTTPError as exc:
            raise GatewayError(f"YooKassa unreachable: {exc!r}") from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code == 202:  # «processing»: repeat later with the same key (reconciliation does)
            raise GatewayError("YooKassa is still processing the request", code="processing")
        if response.status_code != 200 or not isinstance(body, dict):
            code = str(body.get("code", "")) if isinstance(body, dict) else ""
            text = str(body.get("description", "")) if isinstance(body, dict) else ""
            raise GatewayError(
                f"YooKassa {method} {path}: HTTP {response.status_code} {code} {text}".strip(),
                retryable=response.status_code == 429 or response.status_code >= 500,
                code=code,
            )
        return body


def _segment(value: str) -> str:
    """A provider id as one URL path segment: ids are [A-Za-z0-9-]; anything else never reaches the URL."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", value):
        raise GatewayError(f"not a provider id: {value!r}", retryable=False)
    return value
