"""The box's MQTT client: retained status with birth and last will, telemetry, events and commands.

MQTT v5, client id = username = device id, QoS 1, persistent session (clean_start=False with a long session
expiry), so commands published while the box is away are queued by the broker and delivered when it returns.
"""

import contextlib
import logging
import ssl
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from pydantic import BaseModel, ValidationError

from cloud_sync import mqtt_protocol, topics
from cloud_sync.command_store import CommandStore, StoredCommand
from cloud_sync.messages import (
    Command,
    CommandResult,
    Event,
    Status,
    Telemetry,
    command_deadline,
    now_utc,
    validate_args,
)

log = logging.getLogger("cloud_sync.box_link")

SESSION_EXPIRY = 7 * 24 * 3600  # the broker keeps a box's queued commands for a week of absence
UNREACHABLE_LOG_EVERY = 300.0  # seconds between repeated "broker unreachable" warnings
Handler = Callable[[BaseModel], dict[str, Any]]


@dataclass
class LinkSettings:
    device_id: str
    host: str
    port: int
    password: str
    username: str = ""  # defaults to device_id
    tls: bool = False
    keepalive: int = 30
    telemetry_interval: float = 30.0
    firmware: str = ""
    protocol: mqtt_protocol.Protocol = "5"


class CommandError(Exception):
    """A handler's refusal with a reason for the operator (bad camera id, not supported here, ...)."""


class BoxLink:
    def __init__(
        self,
        settings: LinkSettings,
        state_dir: Path,
        handlers: dict[str, Handler],
        telemetry: Callable[[], Telemetry] | None = None,
    ) -> None:
        self.settings = settings
        self.device_id = settings.device_id
        self.state_dir = state_dir
        state_dir.mkdir(parents=True, exist_ok=True)
        self.handlers: dict[str, Handler] = {"ping": _pong, **handlers}
        self.telemetry = telemetry
        self.store = CommandStore(state_dir / "commands.sqlite3")
        self.session = self._bump_session()
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="command")  # commands in order
        self._active: set[str] = set()
        self._last_unreachable_log = -UNREACHABLE_LOG_EVERY
        self._client = self._make_client()
        self._telemetry_thread = threading.Thread(target=self._telemetry_loop, name="telemetry", daemon=True)

    # --- lifecycle ---------------------------------------------------------------------------------------

    def start(self) -> "BoxLink":
        self._resolve_unfinished()
        options = mqtt_protocol.connect_options(self.settings.protocol, persistent=True, session_expiry=SESSION_EXPIRY)
        self._client.connect_async(self.settings.host, self.settings.port, self.settings.keepalive, **options)
        self._client.loop_start()
        self._telemetry_thread.start()
        return self

    def stop(self) -> None:
        """Clean stop: say offline ourselves (the will is only for connections that die)."""
        self._stop.set()
        if self.connected.is_set():
            status = Status(state="offline", session=self.session, firmware=self.settings.firmware, reason="shutdown")
            info = self._client.publish(topics.status(self.device_id), status.to_bytes(), qos=1, retain=True)
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(3)
        self._client.disconnect()
        self._client.loop_stop()
        self._executor.shutdown(wait=True)
        self.store.close()

    # --- outbound ----------------------------------------------------------------------------------------

    def publish_event(self, event: Event) -> None:
        """QoS 1; while disconnected paho keeps it queued (bounded) and sends it on reconnect."""
        self._client.publish(topics.event(self.device_id, event.type), event.to_bytes(), qos=1)

    def publish_telemetry(self) -> bool:
        if self.telemetry is None or not self.connected.is_set():
            return False  # telemetry is a sample, not a record: none is queued while offline
        self._client.publish(topics.telemetry(self.device_id), self.telemetry().to_bytes(), qos=1)
        return True

    # --- MQTT callbacks (network thread) -------------------------------------------------------------------

    def _make_client(self) -> mqtt.Client:
        client = mqtt_protocol.new_client(self.device_id, self.settings.protocol, persistent=True)
        client.username_pw_set(self.settings.username or self.device_id, self.settings.password)
        if self.settings.tls:
            client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.max_queued_messages_set(1000)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_connect_fail = self._on_connect_fail
        client.on_message = self._on_message
        self._set_will(client)
        return client

    def _on_connect_fail(self, _client: mqtt.Client, _userdata) -> None:
        """The broker cannot be reached at all: say so once a streak (and every 5 min), then keep retrying."""
        now = time.monotonic()
        if now - self._last_unreachable_log >= UNREACHABLE_LOG_EVERY:
            self._last_unreachable_log = now
            log.warning(
                "MQTT broker %s:%d unreachable; recording and uploads go on, retrying the link",
                self.settings.host,
                self.settings.port,
            )

    def _set_will(self, client: mqtt.Client) -> None:
        will = Status(state="offline", session=self.session, firmware=self.settings.firmware, reason="will")
        client.will_set(topics.status(self.device_id), will.to_bytes(), qos=1, retain=True)

    def _on_connect(self, client: mqtt.Client, _userdata, _flags, reason_code, _props) -> None:
        if reason_code.is_failure:
            log.warning("MQTT connect refused: %s", reason_code)
            return
        self._last_unreachable_log = -UNREACHABLE_LOG_EVERY
        birth = Status(state="online", session=self.session, firmware=self.settings.firmware)
        client.publish(topics.status(self.device_id), birth.to_bytes(), qos=1, retain=True)
        for topic in topics.box_subscriptions(self.device_id):
            client.subscribe(topic, qos=1)
        self.connected.set()
        log.info("MQTT online, session %d", self.session)

    def _on_disconnect(self, client: mqtt.Client, _userdata, _flags, reason_code, _props) -> None:
        self.connected.clear()
        if self._stop.is_set():
            return
        # The next connection is a new session: its will must carry the new counter before paho reconnects.
        self.session = self._bump_session()
        self._set_will(client)
        log.warning("MQTT link lost (%s); reconnecting as session %d", reason_code, self.session)

    def _on_message(self, _client: mqtt.Client, _userdata, message: mqtt.MQTTMessage) -> None:
        parsed = topics.parse(message.topic)
        if parsed is None or parsed.kind != "cmd" or parsed.device_id != self.device_id:
            return
        try:
            command = Command.model_validate_json(message.payload)
        except ValidationError as exc:
            log.warning("malformed command on %s: %s", message.topic, exc)
            return
        # Recorded before paho acknowledges (PUBACK goes out when this callback returns): exactly-once.
        prior = self.store.receive(command.request_id, parsed.name, command.args, command.expires_at)
        if prior is None:
            self._active.add(command.request_id)
            self._executor.submit(self._execute, parsed.name, command)
        elif prior.state == "done":
            self._publish_result(parsed.name, _stored_result(prior, replayed=True))
        elif command.request_id not in self._active:
            self._publish_result(parsed.name, self._interrupted(prior))

    # --- commands (command thread) -------------------------------------------------------------------------

    def _execute(self, name: str, command: Command) -> None:
        try:
            log.info("executing command %s request %s", name, command.request_id)
            self.store.start(command.request_id)
            result = self._run_handler(name, command)
            self.store.finish(command.request_id, result.ok, result.result, result.error, result.status)
            self._publish_result(name, result)
        finally:
            self._active.discard(command.request_id)

    def _run_handler(self, name: str, command: Command) -> CommandResult:
        rid = command.request_id
        now = now_utc()  # the box's own clock, read right before acting: a queued command may have waited
        if command.expired(now):
            log.warning("command %s request %s expired at %s: not executed", name, rid, command.expires_at.isoformat())
            return CommandResult(
                request_id=rid, ok=False, status="expired", error=f"expired at {command.expires_at.isoformat()}"
            )
        handler = self.handlers.get(name)
        if handler is None:
            return CommandResult(request_id=rid, ok=False, error=f"command {name!r} is not supported by this box")
        try:
            args = validate_args(name, command.args)
            return CommandResult(request_id=rid, ok=True, result=handler(args))
        except (ValueError, CommandError) as exc:
            return CommandResult(request_id=rid, ok=False, error=str(exc))
        except Exception as exc:
            log.exception("command %s failed", name)
            return CommandResult(request_id=rid, ok=False, error=f"{type(exc).__name__}: {exc}")

    def _publish_result(self, name: str, result: CommandResult) -> None:
        self._client.publish(topics.command_result(self.device_id, name), result.to_bytes(), qos=1)

    def _resolve_unfinished(self) -> None:
        """After a crash: run what was received but never started; report what was cut off mid-run."""
        for stored in self.store.unfinished():
            if stored.state == "received":
                self._active.add(stored.request_id)
                # Its deadline as received; a row of older firmware has none: the command's usual lifetime
                # counted from when it was received (a door pulse recovered hours later stays expired).
                deadline = stored.expires_at or command_deadline(stored.name, stored.received_at or now_utc())
                command = Command(request_id=stored.request_id, args=stored.args, expires_at=deadline)
                self._executor.submit(self._execute, stored.name, command)
            else:
                result = self._interrupted(stored)
                self.store.finish(stored.request_id, False, {}, result.error, result.status)
                self._publish_result(stored.name, result)  # queued by paho until connected

    @staticmethod
    def _interrupted(stored: StoredCommand) -> CommandResult:
        return CommandResult(
            request_id=stored.request_id, ok=False, status="interrupted", error="interrupted by a restart of the box"
        )

    # --- helpers -------------------------------------------------------------------------------------------

    def _telemetry_loop(self) -> None:
        while not self._stop.wait(self.settings.telemetry_interval):
            try:
                self.publish_telemetry()
            except Exception:
                log.exception("telemetry failed")

    def _bump_session(self) -> int:
        path = self.state_dir / "mqtt_session"
        try:
            current = int(path.read_text().strip() or 0)
        except (OSError, ValueError):
            current = 0
        path.write_text(str(current + 1))
        return current + 1


def _pong(_args: BaseModel) -> dict[str, Any]:
    return {"pong": True, "time": datetime.now(UTC).isoformat()}


def _stored_result(stored: StoredCommand, replayed: bool) -> CommandResult:
    return CommandResult(
        request_id=stored.request_id,
        ok=bool(stored.ok),
        status=stored.status,
        result=stored.result,
        error=stored.error,
        replayed=replayed,
    )
