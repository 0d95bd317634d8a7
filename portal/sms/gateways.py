"""SMS gateways. The outbox gateway delivers nothing: messages wait in the outbox (embedded default; the console
shows them with codes masked, see portal/sms/outbox.py); the HTTP gateway posts them to a provider.

HTTP wire format (docs/cabinet.md): `POST {url}` with `Authorization: Bearer {token}` and JSON
`{"sender": str, "to": "+7…", "text": str, "id": outbox id}`; any 2xx is accepted, the JSON answer's
`"message_id"` (optional) is kept as the delivery reference.
"""

from typing import Protocol

import httpx


class DeliveryError(RuntimeError):
    pass


class SmsGateway(Protocol):
    name: str

    def deliver(self, message_id: int, phone: str, text: str) -> str:
        """Hand the message over; return the provider's reference or raise DeliveryError."""


class OutboxGateway:
    """No external provider: the outbox row itself is the delivery (its full text kept briefly, codes masked in
    the console)."""

    name = "outbox"

    def deliver(self, message_id: int, phone: str, text: str) -> str:
        return ""


class HttpSmsGateway:
    name = "http"

    def __init__(self, url: str, token: str = "", sender: str = "Dozor", timeout: float = 10.0) -> None:
        self.url, self.token, self.sender, self.timeout = url, token, sender, timeout

    def deliver(self, message_id: int, phone: str, text: str) -> str:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        body = {"sender": self.sender, "to": phone, "text": text, "id": message_id}
        try:
            answer = httpx.post(self.url, json=body, headers=headers, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"gateway unreachable: {exc}") from exc
        if not answer.is_success:
            raise DeliveryError(f"gateway answered {answer.status_code}: {answer.text[:200]}")
        try:
            return str(answer.json().get("message_id", ""))
        except ValueError:
            return ""


def gateway_for(settings) -> SmsGateway:
    if settings.sms_gateway_url:
        return HttpSmsGateway(settings.sms_gateway_url, settings.sms_gateway_token, settings.sms_sender)
    return OutboxGateway()
