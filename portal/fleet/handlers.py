"""What the portal does with each kind of box message: one handler per topic kind (cloud_sync.topics.parse).

A handler parses its payload, applies it inside the batch's transaction and says what happened. Every handler
must be idempotent: the broker redelivers what was not acknowledged (a worker died between commit and
PUBACK), and a redelivered message must change nothing. Another domain adds a kind by registering a handler
on the consumer (``consumer.handlers["motion"] = handle_motion``) next to a topic kind in ``topics.parse``; a kind
frequent enough to be worth applying a batch at a time registers a ``Batched`` in ``consumer.batched`` instead
(telemetry does: portal/fleet/telemetry.py).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from cloud_sync.messages import CommandResult, Event, Status, Telemetry
from cloud_sync.topics import ParsedTopic
from portal.fleet import state, telemetry

EventHook = Callable[[Session, str, Event], None]


@dataclass(frozen=True)
class Applied:
    ok: bool  # it changed the database (False: stale, a repeat, or an unknown box)
    sent_at: datetime | None = None  # the box's timestamp, for the consumer-lag figures
    request_id: str | None = None  # a command result: wakes whoever waits for it


@dataclass
class Context:
    """What handlers share: hooks other domains attach (the notification centre's for new events)."""

    event_hooks: list[EventHook]


Handler = Callable[[Session, ParsedTopic, bytes, datetime, Context], Applied]


@dataclass(frozen=True)
class Batched:
    """A kind the writer applies a whole batch at a time (telemetry): ``parse`` each payload (a ValidationError
    rejects that message alone), then ``apply`` the batch's in one go, answering one Applied per message, in order.
    Batched kinds are applied before the batch's other messages."""

    parse: Callable[[bytes], Any]
    apply: Callable[[Session, list[tuple[ParsedTopic, Any, datetime]]], list[Applied]]


def handle_status(db: Session, topic: ParsedTopic, payload: bytes, received_at: datetime, _ctx: Context) -> Applied:
    msg = Status.model_validate_json(payload)
    return Applied(state.apply_status(db, topic.device_id, msg, received_at), msg.ts)


def apply_telemetry(db: Session, items: list[tuple[ParsedTopic, Telemetry, datetime]]) -> list[Applied]:
    taken = telemetry.apply(db, [telemetry.Sample(topic.device_id, msg, at) for topic, msg, at in items])
    return [Applied(topic.device_id in taken, msg.ts) for topic, msg, _ in items]


def handle_event(db: Session, topic: ParsedTopic, payload: bytes, received_at: datetime, ctx: Context) -> Applied:
    event = Event.model_validate_json(payload)
    ok = state.store_event(db, topic.device_id, event, received_at)
    for hook in ctx.event_hooks if ok else ():
        hook(db, topic.device_id, event)  # same transaction: the event and its notifications commit together
    return Applied(ok, event.ts)


def handle_result(db: Session, topic: ParsedTopic, payload: bytes, received_at: datetime, _ctx: Context) -> Applied:
    result = CommandResult.model_validate_json(payload)
    ok = state.apply_result(db, topic.device_id, result, received_at)
    return Applied(ok, result.ts, result.request_id if ok else None)


def default_handlers() -> dict[str, Handler]:
    return {"status": handle_status, "event": handle_event, "cmd_result": handle_result}


def default_batched() -> dict[str, Batched]:
    return {"telemetry": Batched(Telemetry.model_validate_json, apply_telemetry)}
