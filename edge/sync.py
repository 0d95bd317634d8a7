"""The box's link to the portal: wires the real catalogue and box into cloud_sync's uploader and MQTT link.

`dozor edge run` calls :func:`start_sync` when the config has a ``portal`` section.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cloud_sync.bandwidth import TokenBucket
from cloud_sync.box_link import BoxLink, CommandError, LinkSettings
from cloud_sync.ingest_client import IngestClient
from cloud_sync.light import LightArgs
from cloud_sync.messages import CameraArgs, ConfigSetArgs, Event, RelayPulseArgs, UploadRangeArgs
from cloud_sync.uploader import Uploader
from edge import telemetry
from edge.config import CameraConfig
from edge.light_relay import LightRefused, LightRelays
from edge.metrics_export import TextfileExporter
from edge.motion.forward import MotionForwarder
from edge.ota.health import running_release

if TYPE_CHECKING:
    from edge.box import Box

log = logging.getLogger(__name__)

FIRMWARE = "dozor-edge/"  # + the running release (edge.ota.health.running_release)
SNAPSHOT_MAX = 512 * 1024
REBOOT_DELAY = 2
FORWARDED_EVENTS = ("camera_up", "camera_down", "gap", "tamper", "disk_full")


@dataclass
class Sync:
    uploader: Uploader
    link: BoxLink
    motion: MotionForwarder | None = None
    exporter: TextfileExporter | None = None
    light: LightRelays | None = None
    stopping: threading.Event = field(default_factory=threading.Event)

    def stop(self) -> None:
        self.stopping.set()
        if self.light is not None:
            self.light.stop()
        if self.exporter is not None:
            self.exporter.stop()
        if self.motion is not None:
            self.motion.stop()
        self.uploader.stop()
        self.link.stop()


class _Rate:
    """Upload rate over the last telemetry interval, for the fleet page."""

    def __init__(self, uploader: Uploader) -> None:
        self.uploader = uploader
        self._last = (time.monotonic(), uploader.bytes_sent)
        self._lock = threading.Lock()

    def bps(self) -> float:
        with self._lock:
            now, sent = time.monotonic(), self.uploader.bytes_sent
            then, before = self._last
            self._last = (now, sent)
        return (sent - before) * 8 / (now - then) if now > then else 0.0


def start_sync(box: Box, telemetry_interval: float | None = None) -> Sync:
    config = box.config
    if telemetry_interval is None:  # the config has no field for it; an env var lets tests and sites tune it
        telemetry_interval = float(os.environ.get("DOZOR_EDGE_TELEMETRY_SECONDS", "30"))
    portal = config.portal
    if portal is None:
        raise ValueError("portal: the box's config has no portal section to sync with")
    client = IngestClient(
        portal.url, portal.upload_token.get_secret_value(), TokenBucket.from_kbps(portal.bandwidth_kbps)
    )
    uploader = Uploader(
        box.catalogue,
        client,
        concurrency=portal.upload_concurrency,
        camera_ids=lambda: [c.id for c in box.config.cameras],
    )
    rate = _Rate(uploader)
    settings = LinkSettings(
        device_id=config.device_id,
        host=portal.mqtt_host,
        port=portal.mqtt_port,
        password=portal.mqtt_password.get_secret_value(),
        username=portal.mqtt_username or config.device_id,
        tls=portal.mqtt_tls,
        protocol=portal.mqtt_protocol,
        telemetry_interval=telemetry_interval,
        firmware=FIRMWARE + running_release(),
    )
    # Light live view has its own client too (no bandwidth cap: it runs only while someone watches, and a
    # backlog must not delay live video); its byte counter is the light uplink alone.
    light = LightRelays(box, IngestClient(portal.url, portal.upload_token.get_secret_value(), timeout=5.0))
    link = BoxLink(
        settings,
        config.data_dir / "sync",
        _handlers(box, uploader, light),
        telemetry=lambda: telemetry.sample(box, uploader.stats, rate.bps()),
    )
    # Its own client (own connection pool and thread), so a backlog of video never delays a motion event.
    motion_client = IngestClient(portal.url, portal.upload_token.get_secret_value())
    motion = MotionForwarder(box.motion_log, motion_client)
    box.add_listener(_listener(link, uploader, motion))
    export_rate = _Rate(uploader)  # its own window: the telemetry's rate() call must not reset it
    exporter = TextfileExporter(
        config.data_dir / "metrics",
        config.device_id,
        sample=lambda: telemetry.sample(box, uploader.stats, export_rate.bps()),
        uploads=lambda: uploader.stats,
        connected=link.connected.is_set,
        interval=float(os.environ.get("DOZOR_EDGE_METRICS_SECONDS", "15")),
    )
    sync = Sync(uploader, link, motion, exporter, light)
    if config.ota is not None:
        from edge.ota.remote import RemoteUpdates

        updates = RemoteUpdates(config, link.publish_event)
        link.handlers["ota.install"] = updates.handle  # type: ignore[assignment]  # typed args, like the others
    uploader.start()
    link.start()
    motion.start()
    exporter.start()
    if config.ota is not None:
        updates.report_last()  # the gate's verdict on this (or the rolled back) release, once
        updates.watch(sync.stopping)
    return sync


def _listener(link: BoxLink, uploader: Uploader, motion: MotionForwarder | None = None):
    def on_event(event_type: str, data: dict[str, Any]) -> None:
        if event_type == "segment":
            uploader.wake()
        elif event_type == "motion" and motion is not None:
            motion.wake()  # sent from the catalogue (store-and-forward) through the ingest, not over MQTT
        elif event_type in FORWARDED_EVENTS:
            link.publish_event(Event(type=event_type, camera_id=data.get("camera_id"), data=_jsonable(data)))

    return on_event


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "camera_id":
            continue
        if hasattr(value, "start") and hasattr(value, "end") and hasattr(value, "reason"):  # a GapRecord
            out[key] = {"start": value.start.isoformat(), "end": value.end.isoformat(), "reason": value.reason}
        elif isinstance(value, str | int | float | bool) or value is None:
            out[key] = value
        else:
            out[key] = str(value)
    return out


def _cameras_after(box: Box, args: ConfigSetArgs) -> tuple[list[CameraConfig] | None, dict[str, bool]]:
    """The camera list `config.set` asks for (None: unchanged) and its `recording` switches by camera id."""
    specs = [c.model_dump() for c in args.cameras]
    recording = {spec["id"]: spec.pop("recording") for spec in specs if "recording" in spec}
    if not args.is_patch:
        return [CameraConfig.model_validate(spec) for spec in specs], recording
    for spec in specs:
        if box.config.camera(spec["id"]) is None:
            raise CommandError(f"cameras: a patch for {spec['id']!r}, which is not configured on this box")
    patches = {spec.pop("id"): spec for spec in specs}
    if not any(patches.values()):
        return None, recording  # only recording switches (home mode): the camera config stays as it is
    return [
        CameraConfig.model_validate({**c.persisted(), **patches[c.id]}) if patches.get(c.id) else c
        for c in box.config.cameras
    ], recording


def _handlers(box: Box, uploader: Uploader, light: LightRelays | None = None) -> dict[str, Any]:
    def config_set(args: ConfigSetArgs) -> dict[str, Any]:
        cameras, recording = _cameras_after(box, args)
        if cameras is not None:
            box.reconfigure(cameras)
        if args.retention_days is not None:
            box.set_retention_days(args.retention_days)
        for camera_id, on in recording.items():
            box.set_recording(camera_id, on)
            if not on and light is not None:  # home mode: no live view either, not even the rest of a lease
                with contextlib.suppress(LightRefused):
                    light.lease(camera_id, 0)
        return {
            "cameras": [c.id for c in box.config.cameras],
            "paused": box.paused_cameras(),
            "retention_days": box.evictor.retention_days,
        }

    def upload_range(args: UploadRangeArgs) -> dict[str, Any]:
        uploader.request_range(args.camera_id, args.start, args.end, args.priority)
        pending = box.catalogue.pending_uploads(limit=100_000, camera_id=args.camera_id, start=args.start, end=args.end)
        return {"pending_segments": len(pending), "pending_bytes": sum(s.size for s in pending)}

    def snapshot(args: CameraArgs) -> dict[str, Any]:
        _known_camera(box, args.camera_id)
        jpeg = box.snapshot(args.camera_id)
        if len(jpeg) > SNAPSHOT_MAX:
            raise CommandError(f"snapshot is {len(jpeg)} bytes, over the {SNAPSHOT_MAX}-byte limit")
        return {"camera_id": args.camera_id, "jpeg_base64": base64.b64encode(jpeg).decode()}

    def power_cycle(args: CameraArgs) -> dict[str, Any]:
        _known_camera(box, args.camera_id)
        try:
            return box.power_cycle(args.camera_id, reason="команда портала")
        except LookupError as exc:  # no relay for it, or it is cycling already
            raise CommandError(str(exc)) from exc

    def relay_pulse(args: RelayPulseArgs) -> dict[str, Any]:
        if args.camera_id is not None:
            _known_camera(box, args.camera_id)
        try:
            result = box.pulse_relay(args.target, args.seconds, reason="команда портала")
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        log.info("relay.pulse: relay %s pulsed for %.1f s (camera %s)", args.target, args.seconds, args.camera_id)
        return {**result, "camera_id": args.camera_id}

    def reboot(_args: Any) -> dict[str, Any]:
        threading.Timer(REBOOT_DELAY, box.reboot).start()  # answer first (stored and published), then go down
        return {"rebooting_in_s": REBOOT_DELAY, "command": box.config.reboot_command}

    def live_light(args: LightArgs) -> dict[str, Any]:
        if light is None:
            raise CommandError("light live view is not running on this box")
        try:
            return light.lease(args.camera_id, args.seconds)
        except LightRefused as exc:
            raise CommandError(str(exc)) from exc

    return {
        "live.light": live_light,
        "config.set": config_set,
        "upload.range": upload_range,
        "snapshot": snapshot,
        "camera.power_cycle": power_cycle,
        "relay.pulse": relay_pulse,
        "reboot": reboot,
    }


def _known_camera(box: Box, camera_id: str) -> None:
    if box.config.camera(camera_id) is None:
        raise CommandError(f"camera_id: {camera_id!r} is not configured on this box")
