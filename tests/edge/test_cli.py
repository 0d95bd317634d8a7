"""`dozor edge run` under a systemd-like NOTIFY_SOCKET, SIGTERM, then `dozor edge ranges --json`."""

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

DOZOR = str(Path(sys.executable).parent / "dozor")


@pytest.mark.slow  # runs `dozor edge run` as a process
def test_run_notifies_systemd_stops_cleanly_and_ranges_prints_json(tmp_path: Path) -> None:
    config = tmp_path / "box.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "device_id": "box1",
                "data_dir": str(tmp_path / "data"),
                "cameras": [{"id": "syn", "url": "lavfi:testsrc2", "width": 160, "height": 120, "segment_seconds": 1}],
            }
        )
    )
    sock_path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(sock_path))
    sock.settimeout(60)
    env = {**os.environ, "NOTIFY_SOCKET": str(sock_path), "WATCHDOG_USEC": "1000000"}
    proc = subprocess.Popen(
        [DOZOR, "edge", "run", "--config", str(config)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        messages = [sock.recv(256).decode()]
        while "WATCHDOG=1" not in messages:
            messages.append(sock.recv(256).decode())
        assert messages[0] == "READY=1"
        # keep it running until a few segments are in
        deadline_msgs = 0
        while deadline_msgs < 6:
            sock.recv(256)
            deadline_msgs += 1
        proc.send_signal(signal.SIGTERM)
        assert sock.recv(256).decode() == "STOPPING=1"
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        sock.close()
    out = subprocess.run(
        [DOZOR, "edge", "ranges", "--config", str(config), "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    report = json.loads(out.stdout)
    ranges = report["cameras"]["syn"]["ranges"]
    assert len(ranges) == 1 and ranges[0]["start"].endswith("Z") and ranges[0]["end"] > ranges[0]["start"]
    assert report["cameras"]["syn"]["gaps"] == []
    bad = subprocess.run(
        [DOZOR, "edge", "ranges", "--config", str(config), "--camera", "nope", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "nope" in bad.stderr
