"""OTA test kit: a dozor wheel built once, signed bundles (good and deliberately bad), a box with slots.

Slot venvs reuse the test venv's site-packages (`ota.base_site_packages`), so a bundle needs only the dozor
wheel and an install takes seconds, not a full offline install of every dependency.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import sysconfig
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from cloud_sync.ota_bundle import build_bundle, generate_keypair, load_private_key
from tests.fixtures.ports import wait_until

ROOT = Path(__file__).resolve().parents[2]
DOZOR = str(Path(sys.executable).parent / "dozor")

# Text edits that turn the real wheel into a faulty release (each must match exactly once).
CRASH_AT_START = ("    config = _enrolled(_load(config_path))\n", '    raise SystemExit("injected: crash at start")\n')
NEVER_RECORDS = (
    "    box = Box(config)\n",
    '    box = Box(config.model_copy(update={"cameras": [c.model_copy(update={"kind": "rtsp", '
    '"url": "rtsp://127.0.0.1:9/none"}) for c in config.cameras]}))\n',
)


def build_wheel(out: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return next(out.glob("dozor-*.whl"))


def patched_wheel(wheel: Path, out: Path, member: str, edit: tuple[str, str]) -> Path:
    """A copy of `wheel` with one text replacement in `member` (RECORD hashes are not re-checked by pip)."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / wheel.name
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == member:
                text = data.decode()
                assert text.count(edit[0]) == 1, f"patch does not match {member}"
                data = text.replace(*edit).encode()
            dst.writestr(info, data)
    return target


def keys(tmp: Path) -> tuple[Path, Path]:
    return generate_keypair(tmp)


def bundle(out: Path, version: str, key: Path, wheel: Path, min_from: str = "0") -> Path:
    extra = {f"hw-tests/{p.name}": p.read_bytes() for p in (ROOT / "hw-tests").glob("*") if p.is_file()}
    return build_bundle(out, version, load_private_key(key), [wheel], extra, min_from=min_from)


def box_config(tmp: Path, pub: Path, **ota: Any) -> Path:
    config = tmp / "edge.yaml"
    camera = {"id": "cam1", "url": "lavfi:testsrc2", "width": 160, "height": 90, "fps": 5, "segment_seconds": 1}
    data = {
        "device_id": "box1",
        "data_dir": str(tmp / "data"),
        "cameras": [camera],
        "ota": {
            "root": str(tmp / "root"),
            "keys": [str(pub)],
            "gate_seconds": 90,
            "selftest": False,
            "base_site_packages": sysconfig.get_paths()["purelib"],
            "system_site_packages": False,
            **ota,
        },
    }
    config.write_text(yaml.safe_dump(data))
    return config


def dozor(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    # its own session: a crash point kills the caller's whole process group, which must not be pytest's
    return subprocess.run(
        [DOZOR, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        start_new_session=True,
    )


def status(config: Path) -> dict[str, Any]:
    proc = dozor("edge", "ota", "status", "--config", str(config), "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


class Box:
    """The supervisor (from the `good` link, like the systemd unit) in its own process group."""

    def __init__(self, config: Path) -> None:
        self.config = config
        self.root = Path(yaml.safe_load(config.read_text())["ota"]["root"])
        self.log = config.parent / "supervisor.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, env: dict[str, str] | None = None) -> Box:
        dozor_bin = self.root / "good" / "venv" / "bin" / "dozor"
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [str(dozor_bin), "edge", "supervise", "--config", str(self.config)],
                stdout=log,
                stderr=log,
                start_new_session=True,
                env={**os.environ, **(env or {})},
            )
        return self

    def power_cut(self) -> None:
        """SIGKILL to every process of the box (supervisor, release, ffmpeg)."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(40)
            except subprocess.TimeoutExpired:
                self.power_cut()

    def health(self) -> dict[str, Any] | None:
        try:
            return json.loads((self.root / "health.json").read_text())
        except (OSError, ValueError):
            return None

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


def wait_for(what: str, check: Callable[[], Any], timeout: float = 120, box: Box | None = None) -> Any:
    try:
        return wait_until(check, timeout, interval=0.5, message=what)
    except TimeoutError as exc:
        raise AssertionError(f"timed out waiting for {what}\n{box.log_tail() if box else ''}") from exc


def recording(box: Box, release: str, since: float) -> bool:
    """The given release runs and its camera committed a segment after `since` (a working box)."""
    from cloud_sync.segments import parse_time

    health = box.health()
    if not health or health.get("release") != release:
        return False
    try:
        os.kill(int(health["pid"]), 0)
    except OSError:
        return False
    end = (health.get("last_segment") or {}).get("cam1")
    return bool(end) and parse_time(end).timestamp() > since and time.time() - health["at"] < 10


def tamper(path: Path, out: Path, member_suffix: str = ".whl") -> Path:
    """Flip one byte inside a wheel member (the signature stays valid; the hash does not)."""
    data = bytearray(path.read_bytes())
    # tar member data starts after a 512-byte header; find the wheel's zip signature and flip a byte after it.
    start = data.find(b"PK\x03\x04")
    data[start + 200] ^= 0xFF
    out.write_bytes(bytes(data))
    return out


def truncate(path: Path, out: Path) -> Path:
    data = path.read_bytes()
    out.write_bytes(data[: len(data.rstrip(b"\0")) * 2 // 3])  # past tar's zero padding, into the content
    return out


class RangeServer:
    """Serves one file over HTTP with Range support, slowly, and remembers the ranges asked for."""

    def __init__(self, path: Path, chunk_delay: float = 0.0) -> None:
        import http.server
        import threading

        served, self.ranges = path, []
        ranges = self.ranges

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def do_GET(self) -> None:
                data = served.read_bytes()
                start = 0
                header = self.headers.get("Range")
                ranges.append(header)
                if header:
                    start = int(header.removeprefix("bytes=").split("-")[0])
                    if start >= len(data):
                        self.send_response(416)
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(data) - start))
                self.end_headers()
                for offset in range(start, len(data), 65536):
                    try:
                        self.wfile.write(data[offset : offset + 65536])
                    except OSError:
                        return
                    time.sleep(chunk_delay)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/{path.name}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def ranges_held(config: Path) -> int:
    """How many recorded ranges the box's catalogue holds (read by the CLI of the test venv)."""
    proc = dozor("edge", "ranges", "--config", str(config), "--json")
    assert proc.returncode == 0, proc.stderr
    return sum(len(c["ranges"]) for c in json.loads(proc.stdout)["cameras"].values())
