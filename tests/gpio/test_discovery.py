"""zeroconf: in a network namespace of its own, a browser finds both services with their TXT records."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a network namespace and zeroconf announcements

HELPER = Path(__file__).with_name("netns_zeroconf.py")
ROOT = Path(__file__).resolve().parents[2]


def can_unshare() -> bool:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(not can_unshare(), reason="needs root (or CAP_SYS_ADMIN) for `unshare -n` and iproute2")
def test_browser_in_namespace_finds_box_with_txt() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        ["unshare", "-n", sys.executable, str(HELPER), "entrance-42", "8080"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    for service_type in ("_http._tcp.local.", "_dozor._tcp.local."):
        found = result[service_type]
        assert found is not None, f"{service_type} not found by the browser"
        assert found["name"] == f"Dozor entrance-42.{service_type}"
        assert found["port"] == 8080
        assert found["txt"]["id"] == "entrance-42"
        assert found["txt"]["path"] == "/"
        assert found["txt"]["version"]
        assert found["addresses"] == ["127.0.0.1"]
    assert result["after_update"] is not None and result["after_update"]["txt"]["enrolled"] == "yes"
    assert result["after_close"] is False, "the service must be withdrawn on shutdown"
