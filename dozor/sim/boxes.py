"""Simulated boxes: each a real MQTT client with its own credentials (status with a will, telemetry, events,
commands answered once) and the box's real ingest client uploading small real segments as M cameras with
6 s segments would. All MQTT clients share one thread (dozor/sim/mqtt_loop.py); uploads run on a few lanes,
each box always on the same lane (so its segments go out in order over one keep-alive connection).
"""

import logging
import queue
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
from pydantic import ValidationError

from cloud_sync import mqtt_protocol, topics
from cloud_sync.ingest_client import IngestClient
from cloud_sync.messages import CameraTelemetry, Command, CommandResult, Event, Status, Telemetry
from cloud_sync.segments import new_run_id
from dozor.sim.media import Clip
from dozor.sim.mqtt_loop import MqttLoop
from dozor.sim.provision import SimBoxCredentials

log = logging.getLogger("dozor.sim")


@dataclass(frozen=True)
class SimOptions:
    portals: tuple[str, ...]  # several: a box fails over to the next one (as behind a load balancer)
    broker_host: str
    broker_port: int
    cameras: int = 4
    segment_seconds: float = 6.0
    telemetry_seconds: float = 5.0
    events_per_minute: float = 1.0
    upload_lanes: int = 16
    firmware: str = "sim-1"


@dataclass(frozen=True)
class SimSegment:
    """What IngestClient.put_segment reads (cloud_sync.catalogue.SegmentLike)."""

    camera_id: str
    run_id: str
    seq: int
    start: datetime
    duration: float
    path: str
    sha256: str
    clock_synced: bool = True


@dataclass
class Counters:
    lock: threading.Lock = field(default_factory=threading.Lock)
    segments_due: int = 0
    segments_stored: int = 0
    segments_refused: int = 0
    upload_retries: int = 0
    bytes_stored: int = 0
    upload_latency: list[float] = field(default_factory=list)  # segment complete -> receipt, seconds
    telemetry: int = 0
    events: int = 0
    commands_executed: int = 0
    command_repeats: int = 0
    connects: int = 0
    disconnects: int = 0


class SimBox:
    def __init__(self, creds: SimBoxCredentials, options: SimOptions, loop: MqttLoop, counters: Counters) -> None:
        self.creds = creds
        self.device_id = creds.device_id
        self.options = options
        self.loop = loop
        self.counters = counters
        self.cameras = creds.cameras[: options.cameras]
        self.session = int(time.time() * 1000) % 2_000_000_000  # a new session counter for every run
        self.events: list[str] = []  # ids of the events the broker acknowledged (PUBACK)
        self._unacked: dict[int, str] = {}  # packet id -> event id, until its PUBACK
        self.executed: dict[str, int] = {}  # request id -> times executed (exactly once is 1)
        self.stored: set[tuple[str, str, int]] = set()  # (camera, run, seq) the portal acknowledged
        self.origin = datetime.now(UTC).replace(microsecond=0)
        self.runs = {cam: new_run_id(self.origin) for cam in self.cameras}
        self.started = time.monotonic()
        self.client = self._make_client()
        self._closing = False

    # --- MQTT (loop thread) ------------------------------------------------------------------------------

    def _make_client(self) -> mqtt.Client:
        client = mqtt_protocol.new_client(self.device_id, "5", persistent=True)
        client.username_pw_set(self.device_id, self.creds.mqtt_password)
        client.max_queued_messages_set(1000)
        will = Status(state="offline", session=self.session, firmware=self.options.firmware, reason="will")
        client.will_set(topics.status(self.device_id), will.to_bytes(), qos=1, retain=True)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_publish = self._on_publish
        self.loop.add(client)
        return client

    def connect(self) -> None:
        options = mqtt_protocol.connect_options("5", persistent=True, session_expiry=7 * 86_400)
        try:
            self.client.connect(self.options.broker_host, self.options.broker_port, keepalive=30, **options)
        except OSError as exc:
            log.warning("%s: broker unreachable (%s); retrying", self.device_id, exc)
            self.loop.at(time.monotonic() + 2 + random.random() * 3, self.connect)

    def _on_connect(self, client: mqtt.Client, _u, _f, reason_code, _p) -> None:
        if reason_code.is_failure:
            log.error("%s: MQTT connect refused: %s", self.device_id, reason_code)
            return
        with self.counters.lock:
            self.counters.connects += 1
        birth = Status(state="online", session=self.session, firmware=self.options.firmware)
        client.publish(topics.status(self.device_id), birth.to_bytes(), qos=1, retain=True)
        for topic in topics.box_subscriptions(self.device_id):
            client.subscribe(topic, qos=1)

    def _on_disconnect(self, _c, _u, _f, reason_code, _p) -> None:
        if self._closing:
            return
        with self.counters.lock:
            self.counters.disconnects += 1
        self.loop.at(time.monotonic() + 1 + random.random() * 2, self._reconnect)

    def _reconnect(self) -> None:
        try:
            self.client.reconnect()
        except OSError:
            self.loop.at(time.monotonic() + 2 + random.random() * 3, self._reconnect)

    def _on_message(self, client: mqtt.Client, _u, message: mqtt.MQTTMessage) -> None:
        parsed = topics.parse(message.topic)
        if parsed is None or parsed.kind != "cmd" or parsed.device_id != self.device_id:
            return
        try:
            command = Command.model_validate_json(message.payload)
        except ValidationError:
            return
        repeat = command.request_id in self.executed
        if not repeat:
            self.executed[command.request_id] = 1
        with self.counters.lock:
            if repeat:
                self.counters.command_repeats += 1
            else:
                self.counters.commands_executed += 1
        result = CommandResult(
            request_id=command.request_id, ok=True, status="ok", result={"simulated": parsed.name}, replayed=repeat
        )
        client.publish(topics.command_result(self.device_id, parsed.name), result.to_bytes(), qos=1)

    def publish_telemetry(self) -> None:
        now = datetime.now(UTC)
        cams = {cam: CameraTelemetry(state="recording", last_segment_at=now) for cam in self.cameras}
        msg = Telemetry(uptime_s=time.monotonic() - self.started, cpu_percent=12.5, temperature_c=48.0, cameras=cams)
        msg.ts = now
        self.client.publish(topics.telemetry(self.device_id), msg.to_bytes(), qos=1)
        with self.counters.lock:
            self.counters.telemetry += 1

    def publish_event(self) -> None:
        event = Event(type="button", data={"relay": "door", "simulated": True})
        info = self.client.publish(topics.event(self.device_id, "button"), event.to_bytes(), qos=1)
        self._unacked[info.mid] = event.id
        with self.counters.lock:
            self.counters.events += 1

    def _on_publish(self, _c, _u, mid: int, _reason, _p) -> None:
        event_id = self._unacked.pop(mid, None)
        if event_id is not None:
            self.events.append(event_id)

    @property
    def unacked_events(self) -> int:
        return len(self._unacked)

    def close(self) -> None:
        self._closing = True
        self.client.disconnect()


class UploadLane(threading.Thread):
    """Uploads the init and segments of the boxes assigned to it, in order, retrying until stored."""

    def __init__(self, options: SimOptions, counters: Counters, clip: Clip) -> None:
        super().__init__(name="sim-upload", daemon=True)
        self.options = options
        self.counters = counters
        self.clip = clip
        # (box, camera, segment or None for the run's init, monotonic time the segment was complete)
        self.jobs: queue.Queue[tuple[SimBox, str, SimSegment | None, float] | None] = queue.Queue()
        self.clients: dict[str, IngestClient] = {}
        self.portal_index: dict[str, int] = {}
        self.stop_event = threading.Event()

    def client(self, box: SimBox) -> IngestClient:
        client = self.clients.get(box.device_id)
        if client is None:
            index = self.portal_index.setdefault(box.device_id, hash(box.device_id) % len(self.options.portals))
            client = IngestClient(self.options.portals[index], box.creds.upload_token, timeout=30)
            self.clients[box.device_id] = client
        return client

    def fail_over(self, box: SimBox) -> None:
        if len(self.options.portals) > 1:
            self.portal_index[box.device_id] = (self.portal_index.get(box.device_id, 0) + 1) % len(self.options.portals)
            old = self.clients.pop(box.device_id, None)
            if old is not None:
                old.close()

    def run(self) -> None:
        while True:
            job = self.jobs.get()
            if job is None:
                break
            box, camera_id, segment, due = job
            delay = 0.5
            while not self.stop_event.is_set():
                client = self.client(box)
                if segment is None:
                    outcome = client.put_init(camera_id, box.runs[camera_id], self.clip.init)
                    if outcome.stored:
                        break
                else:
                    outcome = client.put_segment(segment)
                if segment is not None and outcome.stored:
                    with self.counters.lock:
                        self.counters.segments_stored += 1
                        self.counters.upload_latency.append(time.monotonic() - due)
                    box.stored.add((segment.camera_id, segment.run_id, segment.seq))
                    break
                if outcome.kind == "refused":
                    log.error("%s: upload refused: %s %s", box.device_id, outcome.status, outcome.detail)
                    with self.counters.lock:
                        self.counters.segments_refused += 1
                    break
                with self.counters.lock:
                    self.counters.upload_retries += 1
                self.fail_over(box)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
            self.jobs.task_done()
        for client in self.clients.values():
            client.close()


def segment_for(box: SimBox, clip: Clip, camera_id: str, seq: int, start: datetime, seconds: float) -> SimSegment:
    index = seq % len(clip.segments)
    return SimSegment(
        camera_id=camera_id,
        run_id=box.runs[camera_id],
        seq=seq,
        start=start,
        duration=seconds,
        path=str(clip.segments[index]),
        sha256=clip.sha256[index],
    )


def segment_start(origin: datetime, seq: int, seconds: float) -> datetime:
    return origin + timedelta(seconds=seq * seconds)
