"""The one delivery worker of every channel (docs/notify.md).

Claiming: a round marks due rows `sending` with its own claim id and a lease, by a conditional UPDATE
(`WHERE status='queued'`), so two workers can never both win a row; on PostgreSQL the candidates are picked
with `FOR UPDATE SKIP LOCKED` so concurrent workers take different rows instead of queueing on each other.
A row whose lease ran out (its worker died) is queued again. Every outcome is written `WHERE claimed_by = me`,
so a worker that lost its lease cannot overwrite another's result.
"""

import asyncio
import json
import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Table, and_, bindparam, delete, func, select, update

from portal.models import utcnow
from portal.models.forpost import PushToken
from portal.models.notify import NotifyMessage
from portal.notify.channels import LocalOutbox, Permanent, SmsRuChannel, SmtpChannel, Transient
from portal.notify.push import ApnsChannel, FcmChannel, PushRouter
from portal.periodic import start_periodic

log = logging.getLogger(__name__)


@dataclass
class WorkerConfig:
    batch: int = 50
    lease: timedelta = timedelta(minutes=2)  # longer than any provider's timeout
    max_attempts: int = 5
    backoff: timedelta = timedelta(seconds=30)  # 30 s, 1 min, 2 min, … capped at backoff_cap
    backoff_cap: timedelta = timedelta(hours=1)
    per_minute: dict[str, int] = field(default_factory=lambda: {"email": 600, "sms": 60, "push": 3000})
    record_every: int = 50  # outcomes committed together
    push_concurrency: int = 8  # push requests in flight at once


class Worker:
    def __init__(self, db, channels: dict, config: WorkerConfig | None = None, name: str = "") -> None:
        self.db, self.channels, self.config = db, channels, config or WorkerConfig()
        self.name = name or f"w-{uuid.uuid4().hex[:8]}"

    def release_expired(self, now: datetime) -> int:
        with self.db.session() as s:
            result = s.execute(
                update(NotifyMessage)
                .where(NotifyMessage.status == "sending", NotifyMessage.lease_until < now)
                .values(status="queued", claimed_by="", lease_until=None)
            )
            return result.rowcount or 0

    def allowance(self, s, channel: str, now: datetime) -> int:
        """Rate limit: what is left of the channel's per-minute budget (sent in the last 60 s, all workers)."""
        limit = self.config.per_minute.get(channel, 0)
        if limit <= 0:
            return self.config.batch
        sent = s.scalar(
            select(func.count()).where(
                NotifyMessage.channel == channel,
                NotifyMessage.sent_at >= now - timedelta(minutes=1),
                NotifyMessage.status == "sent",
            )
        )
        return max(0, min(self.config.batch, limit - (sent or 0)))

    def claim(self, channel: str, now: datetime) -> tuple[str, list[NotifyMessage]]:
        claim_id = f"{self.name}:{uuid.uuid4().hex[:12]}"
        with self.db.session() as s:
            room = self.allowance(s, channel, now)
            if room == 0:
                return claim_id, []
            due = (
                select(NotifyMessage.id)
                .where(
                    NotifyMessage.status == "queued",
                    NotifyMessage.channel == channel,
                    NotifyMessage.next_attempt_at <= now,
                )
                .order_by(NotifyMessage.urgent.desc(), NotifyMessage.id)
                .limit(room)
            )
            if not self.db.is_sqlite:
                due = due.with_for_update(skip_locked=True)
            ids = list(s.scalars(due))
            if not ids:
                return claim_id, []
            s.execute(
                update(NotifyMessage)
                .where(NotifyMessage.id.in_(ids), NotifyMessage.status == "queued")
                .values(status="sending", claimed_by=claim_id, lease_until=now + self.config.lease)
                .execution_options(synchronize_session=False)
            )
        with self.db.session() as s:
            rows = list(s.scalars(select(NotifyMessage).where(NotifyMessage.claimed_by == claim_id)))
            s.expunge_all()
        return claim_id, rows

    def outcome(self, message: NotifyMessage, now: datetime) -> tuple[dict, bool]:
        """Hand one message to its channel: the row's new values, and whether its push token is dead."""
        channel = self.channels.get(message.channel) or LocalOutbox()
        values: dict = {"claimed_by": "", "lease_until": None}
        drop_token = False
        try:
            if isinstance(channel, SmtpChannel):
                reference = channel.send(message, json.loads(message.data or "{}").get("unsubscribe", ""))
            else:
                reference = channel.send(message)
            values |= {"status": "sent", "reference": reference[:200], "sent_at": utcnow(), "error": ""}
            if not isinstance(channel, LocalOutbox):  # a provider has it; with no provider the outbox is the
                values["body"] = None  # delivery, and a code's text waits there until codes.purge_codes
        except Permanent as exc:
            values |= {"status": "failed", "error": str(exc)[:500], "body": None}
            drop_token = exc.drop_token
        except Transient as exc:
            attempts = message.attempts + 1
            if attempts >= self.config.max_attempts:
                values |= {"status": "failed", "error": f"after {attempts} attempts: {exc}"[:500], "body": None}
            else:
                delay = min(self.config.backoff * 2 ** (attempts - 1), self.config.backoff_cap)
                values |= {"status": "queued", "error": str(exc)[:500], "next_attempt_at": now + delay}
        except Exception as exc:  # a bug in a channel must not kill the worker nor leave the row leased forever
            log.exception("channel %s crashed", message.channel)
            values |= {"status": "failed", "error": f"internal: {type(exc).__name__}"}
        return values, drop_token

    def record(self, claim_id: str, results: list[tuple[NotifyMessage, dict, bool]]) -> None:
        """Write outcomes in one transaction, each `WHERE claimed_by = me` (a worker whose lease ran out and
        was re-claimed by another cannot overwrite that worker's result)."""
        if not results:
            return
        # One executemany per shape of outcome (sent / failed / queued again) instead of a statement per row.
        groups: dict[tuple[str, ...], list[dict]] = {}
        for message, values, _ in results:
            groups.setdefault(tuple(sorted(values)), []).append({"_id": message.id, **values})
        table = NotifyMessage.__table__
        assert isinstance(table, Table)
        dead = [m.push_token_id for m, _, drop in results if drop and m.push_token_id]
        with self.db.session() as s:
            connection = s.connection()
            for keys, rows in groups.items():
                statement = (
                    update(table)
                    .where(and_(table.c.id == bindparam("_id"), table.c.claimed_by == claim_id))
                    .values(attempts=table.c.attempts + 1, **{k: bindparam(k) for k in keys})
                )
                connection.execute(statement, rows)
            if dead:
                s.execute(delete(PushToken).where(PushToken.id.in_(dead)))

    def deliver(self, claim_id: str, message: NotifyMessage, now: datetime) -> str:
        values, drop_token = self.outcome(message, now)
        self.record(claim_id, [(message, values, drop_token)])
        return values["status"]

    def _send_batch(self, channel: str, claim_id: str, rows: list[NotifyMessage], now: datetime) -> list[str]:
        """Send a claimed batch and record it in chunks of `record_every` (one commit each instead of one per
        message: a worker dying mid-chunk re-sends at most that chunk once its lease runs out). Push goes out
        `push_concurrency` at a time over the clients' kept connections (FCM v1 has no batch call any more;
        APNs multiplexes streams over one HTTP/2 connection); e-mail and SMS one after another on one
        connection."""
        statuses: list[str] = []
        step = max(1, self.config.record_every)
        pool = ThreadPoolExecutor(self.config.push_concurrency) if channel == "push" and len(rows) > 1 else None
        try:
            for start in range(0, len(rows), step):
                chunk = rows[start : start + step]
                if pool is not None:
                    outcomes = list(pool.map(lambda m: self.outcome(m, now), chunk))
                else:
                    outcomes = [self.outcome(m, now) for m in chunk]
                self.record(claim_id, [(m, v, d) for m, (v, d) in zip(chunk, outcomes, strict=True)])
                statuses += [v["status"] for v, _ in outcomes]
        finally:
            if pool is not None:
                pool.shutdown()
        return statuses

    def close(self) -> None:
        """Close kept provider connections (SMTP) at the end of a pass; the next pass opens them again."""
        for channel in self.channels.values():
            closer = getattr(channel, "close", None)
            if closer is not None:
                try:
                    closer()
                except Exception:  # closing a dead connection must not fail the pass
                    log.debug("closing %s failed", channel, exc_info=True)

    def run_once(self, now: datetime | None = None) -> dict[str, int]:
        """One pass over every channel; returns how many rows ended in each status."""
        now = now or utcnow()
        totals: dict[str, int] = {}
        self.release_expired(now)
        try:
            for channel in ("push", "sms", "email"):
                claim_id, rows = self.claim(channel, now)
                for status in self._send_batch(channel, claim_id, rows, now):
                    totals[status] = totals.get(status, 0) + 1
        finally:
            if totals:
                self.close()
        return totals

    def drain(self, now: datetime | None = None, rounds: int = 1000) -> dict[str, int]:
        """Run passes until nothing due is left (tests, the demo); bounded."""
        totals: dict[str, int] = {}
        for _ in range(rounds):
            done = self.run_once(now)
            if not done:
                break
            for k, v in done.items():
                totals[k] = totals.get(k, 0) + v
        return totals


def channels_from(settings) -> dict:
    """The configured adapters; without settings every channel is the local outbox (the embedded default)."""
    channels: dict = {"email": LocalOutbox(), "sms": LocalOutbox(), "push": LocalOutbox()}
    if settings.notify_smtp_host:
        channels["email"] = SmtpChannel(
            settings.notify_smtp_host, settings.notify_smtp_port, settings.notify_mail_from,
            settings.notify_smtp_user, settings.notify_smtp_password, settings.notify_smtp_starttls,
        )  # fmt: skip
    if settings.notify_smsru_api_id:
        channels["sms"] = SmsRuChannel(settings.notify_smsru_url, settings.notify_smsru_api_id, settings.sms_sender)
    fcm = apns = None
    if settings.notify_fcm_project:
        account = json.loads(settings.notify_fcm_service_account or "{}")
        fcm = FcmChannel(
            settings.notify_fcm_url, settings.notify_fcm_project, account.get("client_email", ""),
            account.get("private_key", ""), account.get("token_uri", "https://oauth2.googleapis.com/token"),
        )  # fmt: skip
    if settings.notify_apns_key_id:
        apns = ApnsChannel(
            settings.notify_apns_url, settings.notify_apns_key_id, settings.notify_apns_team_id,
            settings.notify_apns_private_key, settings.notify_apns_topic,
        )  # fmt: skip
    if fcm or apns:
        channels["push"] = PushRouter(fcm, apns)
    return channels


def worker_config(settings) -> WorkerConfig:
    return WorkerConfig(
        max_attempts=settings.notify_max_attempts,
        backoff=timedelta(seconds=settings.notify_backoff_seconds),
        per_minute={
            "email": settings.notify_rate_email,
            "sms": settings.notify_rate_sms,
            "push": settings.notify_rate_push,
        },
    )


def _fan_out_and_deliver(services, worker: Worker) -> None:
    from portal.notify.codes import purge_codes
    from portal.notify.events import sweep_offline
    from portal.notify.notices import fan_out_due
    from portal.notify.outbox import Policy

    settings = services.settings
    with services.db.session() as s:
        fan_out_due(s, Policy.from_settings(settings), settings.public_url)
        purge_codes(s)
        sweep_offline(s, Policy.from_settings(settings), settings.notify_camera_offline_minutes)
    worker.run_once()


def start_worker(services, interval: float) -> asyncio.Task | None:
    """The portal's delivery loop (None when interval <= 0, as in most tests)."""
    if interval <= 0:
        return None
    worker = Worker(services.db, channels_from(services.settings), worker_config(services.settings))
    return start_periodic(
        "notification delivery pass",
        interval,
        lambda: _fan_out_and_deliver(services, worker),
        log=log,
        report=lambda _: False,
    )
