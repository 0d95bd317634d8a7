from pathlib import Path

import pytest

from edge.config import CameraConfig, ConfigError, EdgeConfig, load_config, parse_size


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "box.yaml"
    path.write_text(text)
    return path


def test_minimal_yaml_loads_with_defaults(tmp_path: Path) -> None:
    config = load_config(
        write(tmp_path, "device_id: box1\ndata_dir: /tmp/x\ncameras:\n  - {id: c1, url: rtsp://h/s}\n")
    )
    camera = config.cameras[0]
    assert (camera.kind, camera.name, camera.segment_seconds, camera.enabled) == ("rtsp", "c1", 6, True)
    assert config.retention_days == 7 and config.byte_budget == 0 and config.disk_reserve == 200_000_000
    assert config.portal is None


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("rtsp://cam/1", "rtsp"),
        ("picamera", "picamera"),
        ("picamera://0", "picamera"),
        ("lavfi:testsrc", "synthetic"),
        ("synthetic:", "synthetic"),
    ],
)
def test_kind_inferred_from_url(url: str, kind: str) -> None:
    assert CameraConfig(id="c", url=url).kind == kind


def test_credentials_in_url_are_split_and_masked() -> None:
    camera = CameraConfig(id="c", url="rtsp://admin:hun%40ter2@10.0.0.5:554/main")
    assert camera.url == "rtsp://10.0.0.5:554/main"
    assert camera.username == "admin" and camera.password.get_secret_value() == "hun@ter2"
    assert "hun@ter2" not in camera.masked_url() and "hun%40ter2" not in camera.masked_url()
    assert camera.masked_url() == "rtsp://***:***@10.0.0.5:554/main"
    assert camera.credentialed_url() == "rtsp://admin:hun%40ter2@10.0.0.5:554/main"
    assert "ter2" not in repr(camera) and "ter2" not in camera.model_dump_json()


def test_sizes() -> None:
    assert parse_size("2GB") == 2_000_000_000
    assert parse_size("1 GiB") == 1024**3
    assert parse_size(500) == 500
    with pytest.raises(ValueError, match="not a size"):
        parse_size("lots")


def test_portal_mqtt_user_defaults_to_device_id() -> None:
    config = EdgeConfig(device_id="box7", data_dir=Path("/tmp/x"), portal={"url": "http://p", "upload_token": "t"})
    assert config.portal is not None and config.portal.mqtt_username == "box7" and config.portal.mqtt_port == 1883


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("device_id: box1\ndata_dir: /x\ncameras:\n  - {id: c1, url: http://nope}\n", "cameras.0"),
        ("device_id: 'bad id'\ndata_dir: /x\n", "device_id"),
        ("device_id: b\ndata_dir: /x\ncameras: [{id: c, url: rtsp://h, segment_seconds: 99}]\n", "segment_seconds"),
        ("device_id: b\ndata_dir: /x\nbyte_budget: lots\n", "byte_budget"),
        ("device_id: b\ndata_dir: /x\ncameras: [{id: c, url: rtsp://h}, {id: c, url: rtsp://h}]\n", "twice"),
        ("device_id: [unclosed\n", "not valid YAML"),
        ("- just a list\n", "mapping"),
    ],
)
def test_bad_config_names_field(tmp_path: Path, text: str, needle: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert needle in str(caught.value) and "box.yaml" in str(caught.value)


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path / "missing.yaml")


def test_password_never_in_error(tmp_path: Path) -> None:
    text = "device_id: b\ndata_dir: /x\ncameras: [{id: c, url: 'ftp://u:topsecret@h/'}]\n"
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert "topsecret" not in str(caught.value)


@pytest.mark.parametrize(
    ("section", "needle"),
    [
        ("gpio: {led_pin: 99}\n", "gpio.led_pin"),
        ("gpio: {relays: {door: 40}}\n", "gpio.relays"),
        ("gpio: {led_pin: 17, relays: {door: 17}}\n", "already used"),
        ("gpio: {relay_off_seconds: lots}\n", "gpio.relay_off_seconds"),
        ("gpio: {blink: true}\n", "gpio.blink"),
        ("technician: {port: 0}\n", "technician.port"),
        ("technician: {password_hash: plain-text}\n", "technician.password_hash"),
        ("technician: {session_hours: -1}\n", "technician.session_hours"),
    ],
)
def test_bad_gpio_and_technician_values_are_refused_at_load(tmp_path: Path, section: str, needle: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, "device_id: b\ndata_dir: /x\n" + section))
    assert needle in str(caught.value) and "box.yaml" in str(caught.value)
    assert "plain-text" not in str(caught.value)  # a secret is never echoed


def test_gpio_and_technician_are_models_and_secrets_stay_hidden(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            "device_id: b\ndata_dir: /x\ngpio: {led_pin: 4, relays: {door: 17}}\n"
            "technician: {port: 8081, label_password: label-secret-1}\n"
            "portal: {url: 'http://p', upload_token: upload-secret-1, mqtt_password: mqtt-secret-1}\n",
        )
    )
    assert config.gpio.led_pin == 4 and config.gpio.relays == {"door": 17}
    assert config.technician.port == 8081
    assert config.technician.label_password.get_secret_value() == "label-secret-1"
    assert config.portal.upload_token.get_secret_value() == "upload-secret-1"
    shown = repr(config) + config.model_dump_json()
    for secret in ("label-secret-1", "upload-secret-1", "mqtt-secret-1"):
        assert secret not in shown
    assert EdgeConfig.model_json_schema()["properties"]["gpio"]["description"]
