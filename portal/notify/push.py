"""Mobile push with real wire formats: FCM HTTP v1 and APNs provider API (HTTP/2, token auth).

FCM: `POST {base}/v1/projects/{project}/messages:send`, `Authorization: Bearer <OAuth2 access token>` obtained
from the service account (RS256 JWT assertion → `token_uri`, grant `jwt-bearer`), body
`{"message": {"token", "notification": {"title", "body"}, "data": {str: str}}}`. `UNREGISTERED` / 404 → the
token is dead. APNs: `POST {base}/3/device/{token}` over HTTP/2 with `authorization: bearer <ES256 JWT>`
(`kid` = key id, `iss` = team id, `iat`), renewed after 50 min (Apple accepts 20–60), `apns-topic` = bundle id,
`apns-push-type: alert`; 410 or `BadDeviceToken` → dead. Data values are the app's deep link (`camid`, `archive`).
"""

import json
import socket
import threading
import time

import httpx

from portal.models.notify import NotifyMessage
from portal.notify.channels import Permanent, Transient

FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
APNS_TOKEN_AGE = 50 * 60


def _transport(http2: bool = False, verify=True) -> httpx.HTTPTransport:
    """A kept-alive connection pool with TCP_NODELAY: on a reused connection a request's headers and body are
    separate small writes, and Nagle + the peer's delayed ACK would stall each request ~40 ms."""
    return httpx.HTTPTransport(
        http1=not http2, http2=http2, verify=verify, socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
    )


def _jwt():
    import jwt  # pyjwt[crypto]: imported lazily, only a configured push channel needs it

    return jwt


class FcmChannel:
    name = "fcm"

    def __init__(self, base_url: str, project: str, client_email: str, private_key: str, token_uri: str) -> None:
        self.base, self.project = base_url.rstrip("/"), project
        self.client_email, self.private_key, self.token_uri = client_email, private_key, token_uri
        self._token, self._expires, self._lock = "", 0.0, threading.Lock()
        self.http = httpx.Client(timeout=10.0, transport=_transport())

    def access_token(self) -> str:
        with self._lock:
            if self._token and time.time() < self._expires - 60:
                return self._token
            now = int(time.time())
            claims = {
                "iss": self.client_email,
                "scope": FCM_SCOPE,
                "aud": self.token_uri,
                "iat": now,
                "exp": now + 3600,
            }
            assertion = _jwt().encode(claims, self.private_key, algorithm="RS256")
            try:
                answer = self.http.post(
                    self.token_uri,
                    data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion},
                )
            except httpx.HTTPError as exc:
                raise Transient(f"OAuth2 token endpoint unreachable: {exc}") from exc
            if not answer.is_success:
                raise Transient(f"OAuth2 token refused: HTTP {answer.status_code} {answer.text[:200]}")
            reply = answer.json()
            self._token, self._expires = reply["access_token"], time.time() + int(reply.get("expires_in", 3600))
            return self._token

    def send(self, message: NotifyMessage) -> str:
        data = {k: str(v) for k, v in json.loads(message.data or "{}").items()}
        body = {
            "message": {
                "token": message.recipient,
                "notification": {"title": message.subject or "Дозор", "body": message.text},
                "data": data,
            }
        }
        url = f"{self.base}/v1/projects/{self.project}/messages:send"
        try:
            answer = self.http.post(url, json=body, headers={"Authorization": f"Bearer {self.access_token()}"})
        except httpx.HTTPError as exc:
            raise Transient(f"FCM unreachable: {exc}") from exc
        if answer.is_success:
            return str(answer.json().get("name", ""))
        try:
            error = answer.json().get("error", {})
        except ValueError:
            error = {}
        codes = [d.get("errorCode", "") for d in error.get("details", []) if isinstance(d, dict)]
        reason = f"FCM {answer.status_code} {error.get('status', '')} {','.join(codes)}: {error.get('message', '')}"
        if "UNREGISTERED" in codes or answer.status_code == 404:
            raise Permanent(reason.strip(), drop_token=True)
        if answer.status_code in (429, 500, 503) or "UNAVAILABLE" in codes or "INTERNAL" in codes:
            raise Transient(reason.strip())
        raise Permanent(reason.strip())


class ApnsChannel:
    name = "apns"

    def __init__(self, base_url: str, key_id: str, team_id: str, private_key: str, topic: str, verify=True) -> None:
        self.base, self.key_id, self.team_id, self.private_key, self.topic = (
            base_url.rstrip("/"),
            key_id,
            team_id,
            private_key,
            topic,
        )
        self._token, self._issued, self._lock = "", 0.0, threading.Lock()
        # Apple speaks only HTTP/2; over plain http (tests) that is prior knowledge, hence http1=False.
        self.http = httpx.Client(timeout=10.0, transport=_transport(http2=True, verify=verify))

    def provider_token(self) -> str:
        with self._lock:
            if not self._token or time.time() - self._issued > APNS_TOKEN_AGE:
                self._issued = time.time()
                self._token = _jwt().encode(
                    {"iss": self.team_id, "iat": int(self._issued)},
                    self.private_key,
                    algorithm="ES256",
                    headers={"kid": self.key_id},
                )
            return self._token

    def send(self, message: NotifyMessage) -> str:
        payload = {"aps": {"alert": {"title": message.subject or "Дозор", "body": message.text}, "sound": "default"}}
        payload |= json.loads(message.data or "{}")
        headers = {
            "authorization": f"bearer {self.provider_token()}",
            "apns-topic": self.topic,
            "apns-push-type": "alert",
            "apns-priority": "10",
        }
        try:
            answer = self.http.post(f"{self.base}/3/device/{message.recipient}", json=payload, headers=headers)
        except httpx.HTTPError as exc:
            raise Transient(f"APNs unreachable: {exc}") from exc
        if answer.status_code == 200:
            return answer.headers.get("apns-id", "")
        try:
            reason = answer.json().get("reason", "")
        except ValueError:
            reason = ""
        text = f"APNs {answer.status_code}: {reason}"
        if answer.status_code == 410 or reason in ("BadDeviceToken", "Unregistered", "DeviceTokenNotForTopic"):
            raise Permanent(text, drop_token=True)
        if answer.status_code in (429, 500, 503) or reason == "ExpiredProviderToken":
            if reason == "ExpiredProviderToken":
                self._token = ""
            raise Transient(text)
        raise Permanent(text)


class PushRouter:
    """APNs device tokens are 32 bytes in hex (64 chars); anything else is an FCM registration token."""

    name = "push"

    def __init__(self, fcm=None, apns=None, fallback=None) -> None:
        self.fcm, self.apns, self.fallback = fcm, apns, fallback

    def send(self, message: NotifyMessage) -> str:
        token = message.recipient
        is_apns = len(token) == 64 and all(c in "0123456789abcdefABCDEF" for c in token)
        channel = (self.apns if is_apns else self.fcm) or self.fallback
        if channel is None:
            raise Permanent("no push provider configured for this token")
        return channel.send(message)
