"""A box with slots: install from a file, health gate, mark good, manual rollback (real processes)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.ota.conftest import Kit
from tests.ota.helpers import Box, box_config, dozor, recording, status, wait_for


@pytest.mark.slow
def test_install_gate_good_then_manual_rollback(kit: Kit, box_dir: Path) -> None:
    config = box_config(box_dir, kit.pub, selftest=True)
    box = Box(config).start()
    try:
        t0 = time.time()
        wait_for("release 1.0 recording", lambda: recording(box, "1.0", t0), box=box)
        proc = dozor("edge", "ota", "install", str(kit.v2), "--config", str(config))
        assert proc.returncode == 0, proc.stdout + proc.stderr + box.log_tail()
        assert '"healthy"' in proc.stdout
        data = status(config)
        assert data["current"] == "2.0" and data["previous"] == "1.0"
        assert data["last"]["version"] == "2.0" and data["last"]["result"] == "healthy"
        t1 = time.time()
        wait_for("release 2.0 recording", lambda: recording(box, "2.0", t1), box=box)
        assert (box.root / "good").readlink().name == "2.0"

        back = dozor("edge", "ota", "rollback", "--config", str(config))
        assert back.returncode == 0, back.stderr
        t2 = time.time()
        wait_for("release 1.0 recording again", lambda: recording(box, "1.0", t2), box=box)
        data = status(config)
        assert data["current"] == "1.0" and data["previous"] == "2.0"
        assert data["last"]["result"] == "rolled_back" and "manual" in data["last"]["reason"]
    finally:
        box.stop()
