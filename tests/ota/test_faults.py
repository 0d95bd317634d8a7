"""Power cuts at every install step, and the five bad bundles: the box always ends on a working release.

A power cut is SIGKILL to every process of the box (`DOZOR_OTA_CRASH_AT` makes the process at that step kill
its whole group), then a fresh start of the supervisor; "working" = a release runs and records again.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from edge.ota.faults import POINTS
from tests.ota.conftest import Kit
from tests.ota.helpers import Box, RangeServer, box_config, dozor, ranges_held, recording, status, wait_for

pytestmark = pytest.mark.slow


def _settled(box: Box, config: Path, since: float) -> str:
    """Wait until no trial is pending and a release records; return which one."""

    def check() -> str | None:
        data = status(config)
        if data["trial"] is not None:
            return None
        version = data["current"]
        return version if recording(box, version, since) else None

    return wait_for("a working release after the fresh start", check, timeout=150, box=box)


@pytest.mark.parametrize("step", POINTS)
def test_power_cut_at_each_step_leaves_a_working_release(kit: Kit, box_dir: Path, step: str) -> None:
    config = box_config(box_dir, kit.pub, gate_attempts=2)
    crash = {"DOZOR_OTA_CRASH_AT": step}
    # the supervisor's own steps crash in the supervisor; the installer's in the installing CLI
    box = Box(config).start(env=crash if step in ("restart", "gate") else None)
    server = RangeServer(kit.v2, chunk_delay=0.02)
    try:
        t0 = time.time()
        wait_for("release 1.0 recording", lambda: recording(box, "1.0", t0), box=box)
        held = ranges_held(config)
        sha = hashlib.sha256(kit.v2.read_bytes()).hexdigest()
        args = ("edge", "ota", "install", server.url, "--sha256", sha, "--config", str(config), "--no-wait")
        installer = dozor(*args, env=crash if step not in ("restart", "gate") else None)
        if step in ("restart", "gate"):
            assert installer.returncode == 0, installer.stderr
            wait_for(f"the supervisor's power cut at {step}", lambda: box.proc.poll() is not None, box=box)  # type: ignore[union-attr]
        else:
            assert installer.returncode == -9, (installer.returncode, installer.stderr)
        box.power_cut()
        t1 = time.time()
        box.start()
        version = _settled(box, config, t1)
        expected = {"download": "1.0", "verify": "1.0", "unpack": "1.0"}.get(step, "2.0")
        assert version == expected, status(config)
        assert ranges_held(config) >= held  # the archive and its catalogue survived
        if step == "download":  # the part file resumes with a ranged GET
            again = dozor(*args)
            assert again.returncode == 0, again.stdout + again.stderr
            assert any(r and r != "bytes=0-" for r in server.ranges), server.ranges
            t2 = time.time()
            wait_for("release 2.0 recording", lambda: recording(box, "2.0", t2), box=box)
    finally:
        server.close()
        box.stop()


def test_gate_interrupted_more_often_than_allowed_rolls_back(kit: Kit, box_dir: Path) -> None:
    config = box_config(box_dir, kit.pub, gate_attempts=1)
    box = Box(config).start(env={"DOZOR_OTA_CRASH_AT": "gate"})
    try:
        t0 = time.time()
        wait_for("release 1.0 recording", lambda: recording(box, "1.0", t0), box=box)
        assert dozor("edge", "ota", "install", str(kit.v2), "--config", str(config), "--no-wait").returncode == 0
        wait_for("the power cut in the gate", lambda: box.proc.poll() is not None, box=box)  # type: ignore[union-attr]
        box.power_cut()
        t1 = time.time()
        box.start()
        assert _settled(box, config, t1) == "1.0"
        last = status(config)["last"]
        assert last["result"] == "rolled_back" and "interrupted" in last["reason"]
    finally:
        box.stop()


@pytest.mark.parametrize(
    ("name", "result", "reason"),
    [
        ("bad_signature", "refused", "does not trust"),
        ("wrong_hash", "refused", "SHA-256 mismatch"),
        ("truncated", "refused", "truncated"),
        ("crashes_at_start", "rolled_back", "exited with code"),
        ("never_records", "rolled_back", "camera cam1 has not committed"),
    ],
)
def test_bad_bundles_are_refused_or_rolled_back(kit: Kit, box_dir: Path, name: str, result: str, reason: str) -> None:
    config = box_config(box_dir, kit.pub, gate_seconds=25)
    box = Box(config).start()
    try:
        t0 = time.time()
        wait_for("release 1.0 recording", lambda: recording(box, "1.0", t0), box=box)
        proc = dozor("edge", "ota", "install", str(kit.bad[name]), "--config", str(config))
        assert proc.returncode != 0, proc.stdout
        last = status(config)["last"]
        assert last["result"] == result and reason in last["reason"], last
        t1 = time.time()
        wait_for("release 1.0 recording after the refusal", lambda: recording(box, "1.0", t1), box=box)
        assert status(config)["current"] == "1.0"
    finally:
        box.stop()
