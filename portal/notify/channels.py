"""E-mail and SMS channels with their real wire formats, and the local outbox (the embedded default).

A channel's `send(message)` returns the provider's reference, or raises Transient (retry later with backoff) or
Permanent (give up now; `drop_token` for a push token the provider says is dead).
"""

import smtplib
import ssl
import threading
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import httpx

from portal.models.notify import NotifyMessage


class Transient(RuntimeError):
    pass


class Permanent(RuntimeError):
    def __init__(self, reason: str, drop_token: bool = False) -> None:
        super().__init__(reason)
        self.drop_token = drop_token


class LocalOutbox:
    """No provider configured: the outbox row is the delivery; the operator console's outbox viewer shows it."""

    name = "outbox"

    def send(self, message: NotifyMessage) -> str:
        return "local"


class SmtpChannel:
    """Plain SMTP with optional STARTTLS and login; `List-Unsubscribe` + `List-Unsubscribe-Post` (RFC 8058).

    One connection is kept and reused for message after message (a new TCP + EHLO + STARTTLS + AUTH per message
    was the channel's main cost); the worker closes it after each pass. A kept connection the server dropped
    (idle timeout, restart) is reopened once for the message at hand; a fresh one that fails is Transient."""

    name = "smtp"

    def __init__(self, host: str, port: int, sender: str, user: str = "", password: str = "", starttls: bool = False):
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password, self.starttls = user, password, starttls
        self._smtp: smtplib.SMTP | None = None
        self._lock = threading.Lock()  # one conversation at a time on the kept connection

    def build(self, message: NotifyMessage, unsubscribe: str = "") -> EmailMessage:
        mail = EmailMessage()
        mail["From"], mail["To"] = self.sender, message.recipient
        mail["Subject"] = message.subject or "Дозор"
        mail["Date"], mail["Message-ID"] = formatdate(localtime=False), make_msgid(domain="dozor.local")
        if unsubscribe:
            mail["List-Unsubscribe"] = f"<{unsubscribe}>"
            mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        mail.set_content(message.body or message.text)
        return mail

    def _connect(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP(self.host, self.port, timeout=15)
        try:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def close(self) -> None:
        with self._lock:
            self._drop(polite=True)

    def _drop(self, polite: bool = False) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit() if polite else smtp.close()
        except (OSError, smtplib.SMTPException):
            smtp.close()

    def send(self, message: NotifyMessage, unsubscribe: str = "") -> str:
        mail = self.build(message, unsubscribe)
        with self._lock:
            try:
                refused = self._send(mail)
            except smtplib.SMTPRecipientsRefused as exc:
                code, reason = next(iter(exc.recipients.values()))
                raise Permanent(f"SMTP {code}: {_text(reason)}") from exc
            except smtplib.SMTPResponseException as exc:
                self._drop()  # the conversation may be in any state now
                text = f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}"
                raise (Permanent(text) if 500 <= exc.smtp_code < 600 else Transient(text)) from exc
            except (OSError, smtplib.SMTPException) as exc:
                self._drop()
                raise Transient(f"SMTP unreachable: {exc}") from exc
        if refused:
            raise Permanent(f"SMTP refused: {refused}")
        return str(mail["Message-ID"])

    def _send(self, mail: EmailMessage) -> dict:
        if self._smtp is not None:
            try:
                return self._smtp.send_message(mail)
            except (smtplib.SMTPServerDisconnected, ConnectionError):
                self._drop()  # the kept connection had gone stale: one fresh try below
        self._smtp = self._connect()
        return self._smtp.send_message(mail)


class SmsRuChannel:
    """SMS.ru `sms/send`: POST form `api_id`, `to` (digits), `msg`, `json=1`, optional `from`. The answer's
    `status_code` 100 = accepted (per number too); its `status_text` is kept as the failure reason."""

    name = "smsru"
    RETRYABLE = {220}  # «сервис временно недоступен»

    def __init__(self, base_url: str, api_id: str, sender: str = "", timeout: float = 10.0) -> None:
        self.url, self.api_id, self.sender, self.timeout = base_url.rstrip("/") + "/sms/send", api_id, sender, timeout

    def send(self, message: NotifyMessage) -> str:
        to = "".join(ch for ch in message.recipient if ch.isdigit())
        form = {"api_id": self.api_id, "to": to, "msg": message.body or message.text, "json": "1"}
        if self.sender:
            form["from"] = self.sender
        try:
            answer = httpx.post(self.url, data=form, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise Transient(f"SMS.ru unreachable: {exc}") from exc
        if answer.status_code >= 500:
            raise Transient(f"SMS.ru HTTP {answer.status_code}")
        try:
            reply = answer.json()
        except ValueError as exc:
            raise Transient(f"SMS.ru answered non-JSON (HTTP {answer.status_code})") from exc
        per_number = (reply.get("sms") or {}).get(to) or reply
        code = int(per_number.get("status_code", 0) or 0)
        if reply.get("status") == "OK" and per_number.get("status") == "OK" and code == 100:
            return str(per_number.get("sms_id", ""))
        reason = f"SMS.ru {code}: {per_number.get('status_text') or reply.get('status_text') or 'error'}"
        raise Transient(reason) if code in self.RETRYABLE else Permanent(reason)


def _text(reply: bytes | str) -> str:
    """An SMTP server's reply text (smtplib gives bytes, or str for replies it made up itself)."""
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply
