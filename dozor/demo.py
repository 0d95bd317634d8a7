"""`dozor demo`: the whole system on one machine with embedded defaults.

Portal (SQLite + local object directory) and one box with two synthetic cameras run as child processes;
the MQTT broker (amqtt) runs in this process. Everything listens on 127.0.0.1. SIGINT/SIGTERM stop all.
"""

import json
import os
import secrets as random_secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

from dozor.broker import EmbeddedBroker
from dozor.errors import UserError
from dozor.netcheck import check_port_free, free_port

HOST = "127.0.0.1"
CAMERAS = (("demo-cam-1", "Вход"), ("demo-cam-2", "Двор"))
READY_TIMEOUT = 120.0


@dataclass
class DemoLayout:
    root: Path

    @property
    def portal_dir(self) -> Path:
        return self.root / "portal"

    @property
    def box_dir(self) -> Path:
        return self.root / "box"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def secrets(self) -> Path:
        return self.root / "demo-secrets.json"

    @property
    def secret_key(self) -> Path:
        return self.root / "portal-secret-key"

    @property
    def edge_config(self) -> Path:
        return self.root / "box.yaml"

    @property
    def demo_json(self) -> Path:
        return self.root / "demo.json"


def find_ffmpeg() -> str:
    from edge.recorder.command import ffmpeg_binary  # the box's own lookup: wheel binary, else PATH

    try:
        return ffmpeg_binary(None)
    except RuntimeError as exc:
        raise UserError(f"{exc}; reinstall with `make run` or install Debian's ffmpeg package") from None


def demo_secret_key(layout: DemoLayout) -> str:
    """The demo portal's signing key: random, made on the first start and kept (0600) in the demo directory,
    so sessions' media URLs and CSRF tokens survive a restart of the demo."""
    path = layout.secret_key
    if path.exists():
        key = path.read_text(encoding="utf-8").strip()
        if key:
            return key
    key = random_secrets.token_urlsafe(32)
    path.touch(mode=0o600)
    path.write_text(key + "\n", encoding="utf-8")
    return key


def portal_env(layout: DemoLayout, port: int, broker_port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DOZOR_SECRET_KEY=demo_secret_key(layout),
        DOZOR_DATA_DIR=str(layout.portal_dir),
        DOZOR_PUBLIC_URL=f"http://{HOST}:{port}",
        DOZOR_MQTT_URL=f"mqtt://{HOST}:{broker_port}?protocol=3.1.1",
    )
    return env


def write_edge_config(
    layout: DemoLayout, secrets: dict, port: int, broker_port: int, ffmpeg: str, techui_port: int
) -> None:
    config = {
        "device_id": secrets["device_id"],
        "data_dir": str(layout.box_dir),
        "ffmpeg": ffmpeg,
        "retention_days": 7,
        "cameras": [
            {"id": cam_id, "name": name, "url": source, "width": 640, "height": 360, "fps": 10}
            for (cam_id, name), source in zip(CAMERAS, ("lavfi:testsrc2", "lavfi:smptebars"), strict=True)
        ],
        "portal": {
            "url": f"http://{HOST}:{port}",
            "upload_token": secrets["upload_token"],
            "mqtt_host": HOST,
            "mqtt_port": broker_port,
            "mqtt_username": secrets["mqtt_username"],
            "mqtt_password": secrets["mqtt_password"],
            "mqtt_protocol": "3.1.1",
        },
        # The technician UI on loopback only; zeroconf off: the demo sends nothing beyond 127.0.0.1.
        "technician": {
            "port": techui_port,
            "bind": HOST,
            "label_password": secrets["technician_password"],
            "advertise": False,
        },
    }
    layout.edge_config.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")


def wait_ready(url: str, proc: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
            raise UserError(f"the portal exited during start-up (code {proc.returncode}); its log ends:\n{tail}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise UserError(f"the portal did not answer at {url} within {READY_TIMEOUT:.0f} s; see {log_path}")


def spawn(args: list[str], log_path: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    log = log_path.open("ab")
    # Own process group: Ctrl-C in the terminal reaches us first and we stop children in order.
    return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)


def stop_all(procs: list[subprocess.Popen], timeout: float = 15.0) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for proc in procs:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def seed_past(url: str, upload_token: str, ffmpeg: str, layout: DemoLayout) -> None:
    """Hours of archive behind the live edge (once per demo directory), so the timeline has something to show.
    A failure is reported and the demo goes on live-only: the past is a showcase, not part of the service."""
    from dozor.demo_history import seed_history

    try:
        seed_history(url, upload_token, [cam_id for cam_id, _ in CAMERAS], ffmpeg, layout.root / "history",
                     say=lambda text: print(text, flush=True))  # fmt: skip
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        print(f"warning: the past archive was not seeded ({exc}); the demo shows live video only", flush=True)


def run_demo(data_dir: str, port: int) -> None:
    from dozor.demo_provision import provision

    layout = DemoLayout(Path(data_dir).resolve())
    for folder in (layout.root, layout.portal_dir, layout.box_dir, layout.logs):
        folder.mkdir(parents=True, exist_ok=True)
    ffmpeg = find_ffmpeg()
    check_port_free(HOST, port)
    layout.demo_json.unlink(missing_ok=True)

    broker_port = free_port(HOST)
    broker = EmbeddedBroker(HOST, broker_port)
    broker.start()
    procs: list[subprocess.Popen] = []
    stopping = False

    def on_signal(signum: int, _frame) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        env = portal_env(layout, port, broker_port)
        secrets = provision(layout.portal_dir, layout.secrets, CAMERAS)
        techui_port = free_port(HOST)
        write_edge_config(layout, secrets, port, broker_port, ffmpeg, techui_port)
        portal_log = layout.logs / "portal.log"
        cli = [sys.executable, "-m", "dozor"]
        procs.append(spawn([*cli, "portal", "serve", "--host", HOST, "--port", str(port)], portal_log, env))
        url = f"http://{HOST}:{port}"
        wait_ready(url, procs[0], portal_log)
        seed_past(url, secrets["upload_token"], ffmpeg, layout)
        procs.append(spawn([*cli, "edge", "run", "--config", str(layout.edge_config)], layout.logs / "box.log"))
        info = {
            "portal_url": url,
            "login": secrets["contract"],
            "password": secrets["password"],
            "cameras": [{"id": cam_id, "name": name} for cam_id, name in CAMERAS],
        }
        layout.demo_json.write_text(json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"Dozor demo is running: open {url}", flush=True)
        print(f"  login (contract number): {secrets['contract']}", flush=True)
        print(f"  password:                {secrets['password']}", flush=True)
        print(f"  operator console: {url}/operator  login {secrets['operator']} / {secrets['operator_password']}")
        print(f"  technician UI of the box: http://{HOST}:{techui_port}  password {secrets['technician_password']}")
        print(f"  logs: {layout.logs}   press Ctrl-C to stop", flush=True)
        while not stopping:
            for proc, name in zip(procs, ("portal", "box"), strict=False):
                if proc.poll() is not None:
                    raise UserError(f"the {name} process exited (code {proc.returncode}); see {layout.logs}")
            time.sleep(0.5)
    finally:
        stop_all(list(reversed(procs)))
        broker.stop()
        print("Dozor demo stopped.", flush=True)
