"""The box's Prometheus textfile exporter: every interval the same sample the box sends as telemetry, plus the
uploader's counters and the MQTT link's state, written atomically to ``{data_dir}/metrics/dozor_box.prom`` for
node_exporter's textfile collector (``--collector.textfile.directory``). It runs whether or not the portal is
reachable: a box that is cut off is exactly when a local scrape matters."""

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from cloud_sync.messages import Telemetry
from cloud_sync.uploader import UploaderStats

log = logging.getLogger("edge.metrics_export")
FILENAME = "dozor_box.prom"


def render(sample: Telemetry, uploads: UploaderStats, mqtt_connected: bool, device_id: str) -> str:
    """Prometheus text exposition of one sample (names prefixed ``dozor_box_``)."""
    lines: list[str] = []

    def metric(name: str, kind: str, help_text: str, value: float | None, labels: str = "") -> None:
        if value is None:
            return
        if not any(line.startswith(f"# HELP {name} ") for line in lines):
            lines.extend([f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"])
        lines.append(f'{name}{{device="{device_id}"{labels}}} {float(value):g}')

    metric("dozor_box_uptime_seconds", "gauge", "Seconds since the box service started", sample.uptime_s)
    metric("dozor_box_cpu_percent", "gauge", "CPU use", sample.cpu_percent)
    metric("dozor_box_temperature_celsius", "gauge", "SoC temperature", sample.temperature_c)
    metric("dozor_box_disk_free_bytes", "gauge", "Free bytes on the archive disk", sample.disk_free)
    metric("dozor_box_disk_total_bytes", "gauge", "Size of the archive disk", sample.disk_total)
    metric("dozor_box_backlog_segments", "gauge", "Segments not yet uploaded", sample.backlog_segments)
    metric("dozor_box_backlog_bytes", "gauge", "Bytes not yet uploaded", sample.backlog_bytes)
    metric("dozor_box_upload_rate_bps", "gauge", "Upload rate over the last interval, bit/s", sample.upload_rate_bps)
    metric("dozor_box_clock_synced", "gauge", "1 when the clock is NTP-synchronised", int(sample.clock_synced))
    metric("dozor_box_mqtt_connected", "gauge", "1 while the MQTT link to the portal is up", int(mqtt_connected))
    metric(
        "dozor_box_segments_uploaded_total", "counter", "Segments the portal acknowledged", uploads.segments_uploaded
    )
    metric("dozor_box_upload_retries_total", "counter", "Uploads to retry (portal unreachable)", uploads.retries)
    metric("dozor_box_upload_refused_total", "counter", "Uploads the portal refused", uploads.refused)
    for camera_id, cam in sorted(sample.cameras.items()):
        up = 1 if cam.state == "recording" else 0
        metric("dozor_box_camera_recording", "gauge", "1 while the camera records", up, f',camera="{camera_id}"')
    return "\n".join(lines) + "\n"


def write_replacing(path: Path, text: str) -> None:
    """Atomic for the collector's reads, deliberately not fsynced (cloud_sync.durable.write_atomic is): rewritten
    every few seconds, a lost copy after a power cut costs nothing, an fsync each time would wear the SD card."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")  # the collector reads only *.prom
    tmp.write_text(text)
    os.replace(tmp, path)


class TextfileExporter:
    def __init__(
        self,
        folder: Path,
        device_id: str,
        sample: Callable[[], Telemetry],
        uploads: Callable[[], UploaderStats],
        connected: Callable[[], bool],
        interval: float = 15.0,
    ) -> None:
        self.path = folder / FILENAME
        self.device_id = device_id
        self.sample, self.uploads, self.connected = sample, uploads, connected
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="metrics-export", daemon=True)

    def export(self) -> None:
        write_replacing(self.path, render(self.sample(), self.uploads(), self.connected(), self.device_id))

    def start(self) -> "TextfileExporter":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while True:
            try:
                self.export()
            except Exception:
                log.exception("metrics export failed")
            if self._stop.wait(self.interval):
                return
