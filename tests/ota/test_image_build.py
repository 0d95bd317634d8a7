"""The image's bundle: what `dozor ota build` packs from the source tree, and the units that run the slots."""

from __future__ import annotations

import tarfile
from pathlib import Path

from cloud_sync.ota_bundle import build_bundle, load_private_key, load_public_keys, verify_bundle
from dozor.ota_cli import _source_files
from tests.ota.helpers import ROOT, keys


def test_bundle_holds_hw_tests_and_units_that_run_the_supervisor(tmp_path: Path) -> None:
    key, pub = keys(tmp_path / "k")
    wheel = tmp_path / "dozor-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"PK\x03\x04 stand-in (the real wheel is built in tests/ota/conftest.py)")
    bundle = build_bundle(tmp_path / "b.tar", "3.1", load_private_key(key), [wheel], _source_files())
    manifest = verify_bundle(bundle, load_public_keys([pub]))
    assert {"hw-tests/conftest.py", "systemd/dozor-edge.service", "systemd/dozor-slots.service"} <= set(manifest.files)
    with tarfile.open(bundle) as archive:
        unit = archive.extractfile("systemd/dozor-edge.service").read().decode()  # type: ignore[union-attr]
    assert "Type=notify" in unit and "WatchdogSec=" in unit
    assert "ExecStart=/opt/dozor/good/venv/bin/dozor edge supervise" in unit


def test_first_boot_unit_lays_out_the_slots_before_the_box_starts() -> None:
    unit = (ROOT / "image-build" / "systemd" / "dozor-slots.service").read_text()
    assert "ConditionPathExists=!/opt/dozor/good" in unit and "Before=dozor-edge.service" in unit
    assert "dozor edge ota init /opt/dozor/image-bundle.tar" in unit
