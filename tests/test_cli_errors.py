"""Bad configuration ends with one sentence naming the problem and what to do — never a traceback — and an
unreachable broker or portal does not stop a box from recording."""

import json
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.fixtures.ports import free_port, wait_until

pytestmark = pytest.mark.slow  # starts `dozor` processes and waits for each to give up

DOZOR = [sys.executable, "-m", "dozor"]


def run_dozor(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([*DOZOR, *args], capture_output=True, text=True, timeout=timeout)


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
        result = run_dozor(*command, *extra, "--port", str(port))
    assert_one_sentence(result, f"port {port}", "--port")


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
