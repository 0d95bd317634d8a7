"""Bad configuration ends with one sentence naming the problem and what to do — never a traceback — and an
unreachable broker or portal does not stop a box from recording."""

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dozor.errors import UserError
from portal.app import create_app
from portal.config import PortalSettings
from tests.fixtures.keys import TEST_SECRET_KEY
from tests.fixtures.ports import free_port, wait_until

pytestmark = pytest.mark.slow  # starts `dozor` processes and waits for each to give up

DOZOR = [sys.executable, "-m", "dozor"]


def run_dozor(*args: str, timeout: float = 60, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*DOZOR, *args], capture_output=True, text=True, timeout=timeout, env=env)


def portal_env(tmp_path: Path, key: str | None = TEST_SECRET_KEY) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DOZOR_SECRET_KEY"}
    env["DOZOR_DATA_DIR"] = str(tmp_path / "portal")
    if key is not None:
        env["DOZOR_SECRET_KEY"] = key
    return env


def assert_one_sentence(result: subprocess.CompletedProcess, *needles: str) -> None:
    assert result.returncode == 2, result
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("dozor: "), lines
    assert "Traceback" not in result.stderr + result.stdout
    for needle in needles:
        assert needle in lines[0], lines[0]


def box_config(tmp_path: Path, **extra: object) -> Path:
    config = {
        "device_id": "box-1",
        "data_dir": str(tmp_path / "data"),
        "cameras": [{"id": "c1", "url": "lavfi:testsrc2", "width": 160, "height": 90, "fps": 5, "segment_seconds": 1}],
        **extra,
    }
    path = tmp_path / "box.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_unreadable_config_file(tmp_path: Path) -> None:
    assert_one_sentence(run_dozor("edge", "run", "--config", str(tmp_path / "nope.yaml")), "nope.yaml", "path")


def test_config_file_that_is_not_yaml(tmp_path: Path) -> None:
    bad = tmp_path / "box.yaml"
    bad.write_text("device_id: b1\ncameras: [\n")
    assert_one_sentence(run_dozor("edge", "run", "--config", str(bad)), "box.yaml", "YAML")


def test_invalid_field_is_named(tmp_path: Path) -> None:
    path = box_config(tmp_path, retention_days="forever")
    assert_one_sentence(run_dozor("edge", "run", "--config", str(path)), "retention_days")


def test_ffmpeg_missing(tmp_path: Path) -> None:
    path = box_config(tmp_path, ffmpeg=str(tmp_path / "no-ffmpeg"))
    assert_one_sentence(run_dozor("edge", "run", "--config", str(path)), "ffmpeg is missing", "install")


@pytest.mark.parametrize("command", [["portal", "serve", "--host", "127.0.0.1"], ["demo"]])
def test_port_taken(command: list[str], tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        extra = ["--data", str(tmp_path / "demo")] if command == ["demo"] else []
        result = run_dozor(*command, *extra, "--port", str(port), env=portal_env(tmp_path))
    assert_one_sentence(result, f"port {port}", "--port")


def test_portal_refuses_to_serve_without_a_signing_key(tmp_path: Path) -> None:
    serve = ["portal", "serve", "--host", "127.0.0.1", "--port", str(free_port())]
    assert_one_sentence(run_dozor(*serve, env=portal_env(tmp_path, key=None)), "DOZOR_SECRET_KEY", "export")


@pytest.mark.parametrize("key", ["dev-insecure-change-me", "too-short-key"])
def test_portal_refuses_a_known_or_short_signing_key(tmp_path: Path, key: str) -> None:
    serve = ["portal", "serve", "--host", "127.0.0.1", "--port", str(free_port())]
    assert_one_sentence(run_dozor(*serve, env=portal_env(tmp_path, key=key)), "DOZOR_SECRET_KEY", "known or short")
    with pytest.raises(UserError, match="DOZOR_SECRET_KEY"):  # also for workers built by uvicorn itself
        create_app(PortalSettings(data_dir=tmp_path / "app", secret_key=key))


def test_broker_and_portal_unreachable_the_box_records_and_says_so(tmp_path: Path) -> None:
    dead = free_port()  # nothing listens there
    path = box_config(
        tmp_path,
        portal={
            "url": f"http://127.0.0.1:{dead}",
            "upload_token": "t",
            "mqtt_host": "127.0.0.1",
            "mqtt_port": dead,
            "mqtt_password": "p",
        },
    )
    log = tmp_path / "box.log"
    with log.open("w") as out:
        box = subprocess.Popen([*DOZOR, "edge", "run", "--config", str(path)], stdout=out, stderr=subprocess.STDOUT)
    try:

        def recorded() -> bool:
            report = json.loads(run_dozor("edge", "ranges", "--config", str(path), "--json").stdout)
            return bool(report["cameras"]["c1"]["ranges"])

        wait_until(recorded, timeout=90, interval=1, message="the box records without its uplink")
        wait_until(
            lambda: "unreachable" in log.read_text() and "portal" in log.read_text(),
            timeout=30,
            message="warnings about the broker and the portal",
        )
    finally:
        box.send_signal(signal.SIGTERM)
        assert box.wait(30) == 0
    text = log.read_text()
    assert f"MQTT broker 127.0.0.1:{dead} unreachable" in text
    assert f"portal http://127.0.0.1:{dead} unreachable" in text
    assert "Traceback" not in text


@pytest.mark.parametrize(
    ("section", "needle"),
    [({"gpio": {"led_pin": 99}}, "gpio.led_pin"), ({"technician": {"port": "eighty"}}, "technician.port")],
)
def test_bad_gpio_or_technician_value_is_one_sentence_before_the_box_starts(
    tmp_path: Path, section: dict, needle: str
) -> None:
    path = box_config(tmp_path, **section)
    assert_one_sentence(run_dozor("edge", "run", "--config", str(path), timeout=60), needle)
    assert not (tmp_path / "data" / "catalogue.sqlite3").exists(), "the box started before refusing the config"


def test_demo_generates_its_signing_key_once_and_keeps_it(tmp_path: Path) -> None:
    from dozor.demo import DemoLayout, demo_secret_key

    layout = DemoLayout(tmp_path)
    key = demo_secret_key(layout)
    assert demo_secret_key(layout) == key  # kept: a restarted demo signs with the same key
    assert layout.secret_key.stat().st_mode & 0o777 == 0o600
    (tmp_path / "other").mkdir()
    assert demo_secret_key(DemoLayout(tmp_path / "other")) != key  # random per demo directory
    PortalSettings(data_dir=tmp_path, secret_key=key).check_secret_key()  # a key the portal accepts
