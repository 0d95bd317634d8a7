"""Commands to boxes: stored, published at QoS 1, answered through the consumer.

Registered as ``services.commands`` (typed by ``portal.services.CommandSending``); other domains call
``send(device_id, name, args, timeout=None) -> dict | None`` (e.g. the archive asks for ``upload.range``).
A command that finds the box offline waits in the broker's persistent session for the box; unanswered
commands are published again after the portal reconnects, and the box's store of executed request ids
turns any repeat into a replayed answer, never a second execution.

Every command carries its deadline (``cloud_sync.messages.COMMAND_LIFETIME``: seconds for a door, days for
config): the portal never publishes it again once the deadline has passed, and a caller that waited past it
without an answer gets ``status: "expired"`` back (the box refuses it after that moment too).
"""

import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from cloud_sync import topics
from cloud_sync.messages import Command, command_deadline, validate_args
from portal.db import Database
from portal.fleet.consumer import FleetConsumer
from portal.models import Device, DeviceCommand, utcnow

REPUBLISH_WINDOW = timedelta(hours=1)


class CommandRefused(ValueError):
    """The command was not sent: unknown device or invalid arguments (the message names the field)."""


class CommandSender:
    def __init__(self, db: Database, consumer: FleetConsumer) -> None:
        self.db = db
        self.consumer = consumer
        consumer.on_connect(self.republish_pending)

    def send(
        self,
        device_id: str,
        name: str,
        args: dict[str, Any] | None = None,
        timeout: float | None = None,
        ttl: timedelta | None = None,
        sent_by: str = "",
    ) -> dict[str, Any] | None:
        """Send and, with a timeout, wait for the box's result (None when not waited for or timed out while the
        command may still run; an ``expired`` result once its deadline passed unanswered)."""
        request_id = self.submit(device_id, name, args or {}, ttl, sent_by)
        if timeout is None:
            return None
        return self.wait(request_id, timeout)

    def submit(
        self, device_id: str, name: str, args: dict[str, Any], ttl: timedelta | None = None, sent_by: str = ""
    ) -> str:
        """`ttl` shortens (never lengthens) the command's lifetime; by default it is the command's own. `sent_by`:
        who asks (``portal.services.operator_sender`` / ``contract_sender``, or one of ``SENDING_JOBS``), kept
        with the command."""
        try:
            validate_args(name, args)
        except ValueError as exc:
            raise CommandRefused(f"args of {name}: {exc}") from exc
        now = utcnow()
        deadline = command_deadline(name, now)
        if ttl is not None:
            deadline = min(deadline, now + ttl)
        command = Command(args=args, expires_at=deadline, ts=now)
        with self.db.session() as session:
            if session.get(Device, device_id) is None:
                raise CommandRefused(f"device_id: no device {device_id!r}")
            session.add(
                DeviceCommand(
                    request_id=command.request_id,
                    device_id=device_id,
                    name=name,
                    args=args,
                    status="sent",
                    error="",
                    replays=0,
                    sent_by=sent_by[:100],
                    expires_at=command.expires_at,
                    created_at=command.ts,
                )
            )
        self.consumer.waiter(command.request_id)  # registered before publishing: a fast answer is not missed
        self.consumer.publish(topics.command(device_id, name), command.to_bytes())
        return command.request_id

    def wait(self, request_id: str, timeout: float) -> dict[str, Any] | None:
        """The result once stored (by this worker's consumer or another's); after timeout an ``expired`` answer
        when the command's deadline has passed (it will not run any more), else None (it may still run)."""
        event = self.consumer.waiter(request_id)
        deadline = time.monotonic() + timeout
        try:
            while True:
                result = self.result(request_id)
                if result is not None:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return self.expire_unanswered(request_id)
                event.wait(min(remaining, 0.5))  # poll too: with N workers another one may store it
        finally:
            self.consumer.drop_waiter(request_id)

    def result(self, request_id: str) -> dict[str, Any] | None:
        with self.db.session() as session:
            command = session.get(DeviceCommand, request_id)
            return command.result if command is not None and command.completed_at is not None else None

    def expire_unanswered(self, request_id: str, now: datetime | None = None) -> dict[str, Any] | None:
        """Past its deadline without an answer: mark it expired and say so; None while it may still run.

        It stays open for the box's own answer (a box whose clock lags may still report what it did)."""
        now = now or utcnow()
        with self.db.session() as session:
            command = session.get(DeviceCommand, request_id)
            if command is None or command.completed_at is not None or not _expired(command.expires_at, now):
                return None
            command.status = "expired"
            command.error = f"expired at {_when(command.expires_at)} without an answer from the box"
            return _expired_answer(command)

    def republish_pending(self) -> int:
        """After a (re)connect: unanswered, unexpired recent commands go out again (the box dedups); unanswered
        ones past their deadline are marked expired and never sent again."""
        now = utcnow()
        with self.db.session() as session:
            rows = session.scalars(
                select(DeviceCommand).where(
                    DeviceCommand.completed_at.is_(None), DeviceCommand.created_at >= now - REPUBLISH_WINDOW
                )
            ).all()
            pending = []
            for row in rows:
                if _expired(row.expires_at, now):
                    if row.status == "sent":
                        row.status = "expired"
                        row.error = f"expired at {_when(row.expires_at)} without an answer from the box"
                else:
                    pending.append((row.device_id, row.name, _command_of(row)))
        for device_id, name, command in pending:
            self.consumer.publish(topics.command(device_id, name), command.to_bytes())
        return len(pending)


def _command_of(row: DeviceCommand) -> Command:
    deadline = row.expires_at or command_deadline(row.name, row.created_at)  # rows written before deadlines
    return Command(request_id=row.request_id, args=row.args, expires_at=deadline, ts=row.created_at)


def _expired(expires_at: datetime | None, now: datetime) -> bool:
    return expires_at is not None and expires_at <= now


def _expired_answer(row: DeviceCommand) -> dict[str, Any]:
    """Shaped like a box's result (`CommandResult`), so callers read `ok`/`status`/`error` the same way."""
    return {"request_id": row.request_id, "ok": False, "status": "expired", "result": {}, "error": row.error}


def _when(at: datetime | None) -> str:
    return at.isoformat() if at is not None else "its deadline"
