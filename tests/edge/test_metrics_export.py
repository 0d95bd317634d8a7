"""The box's textfile exporter writes valid Prometheus text with the box's sample, upload counters and link state."""

from prometheus_client.parser import text_string_to_metric_families

from cloud_sync.messages import CameraTelemetry, Telemetry
from cloud_sync.uploader import UploaderStats
from edge.metrics_export import FILENAME, TextfileExporter


def test_textfile_holds_the_sample_counters_and_link_state(tmp_path) -> None:
    sample = Telemetry(
        uptime_s=12.5,
        cpu_percent=40.0,
        disk_free=1000,
        disk_total=4000,
        backlog_segments=3,
        cameras={"cam-1": CameraTelemetry(state="recording"), "cam-2": CameraTelemetry(state="down")},
    )
    stats = UploaderStats(segments_uploaded=7, retries=2)
    connected = [True]
    exporter = TextfileExporter(tmp_path, "box-1", lambda: sample, lambda: stats, lambda: connected[0])
    exporter.export()
    connected[0] = False
    stats.segments_uploaded = 9
    exporter.export()
    text = (tmp_path / FILENAME).read_text()
    values = {
        (s.name, s.labels.get("camera", "")): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert values[("dozor_box_segments_uploaded_total", "")] == 9
    assert values[("dozor_box_mqtt_connected", "")] == 0
    assert values[("dozor_box_backlog_segments", "")] == 3
    assert values[("dozor_box_camera_recording", "cam-1")] == 1
    assert values[("dozor_box_camera_recording", "cam-2")] == 0
    assert ("dozor_box_temperature_celsius", "") not in values  # unknown figures are left out, not zero
    assert not list(tmp_path.glob(".*.tmp"))
