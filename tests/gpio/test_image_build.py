"""The OTA bundle builder: a bundle verifies against its manifest; any altered file makes it refuse."""

from __future__ import annotations

import importlib.util
import io
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("ota_bundle", ROOT / "image-build" / "ota_bundle.py")
ota = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ota)


def fake_wheel(tmp_path: Path) -> Path:
    """A stand-in wheel file (building the real one takes minutes on the shared CI box)."""
    wheel = tmp_path / "dozor-9.9.9-py3-none-any.whl"
    wheel.write_bytes(b"PK\x03\x04 not really a zip, the builder only checksums it")
    return wheel


def test_bundle_holds_wheel_hw_tests_and_units_and_verifies(tmp_path: Path) -> None:
    bundle = ota.build(fake_wheel(tmp_path), tmp_path / "out")
    assert bundle.name == "dozor-ota-9.9.9.tar.gz"
    manifest = ota.verify(bundle)
    assert manifest["version"] == "9.9.9"
    names = set(manifest["files"])
    assert "dozor-9.9.9-py3-none-any.whl" in names
    assert "hw-tests/conftest.py" in names and "systemd/dozor-edge.service" in names
    with tarfile.open(bundle) as archive:
        unit = archive.extractfile("systemd/dozor-edge.service").read().decode()
    assert "Type=notify" in unit and "WatchdogSec=" in unit


def test_altered_file_is_refused(tmp_path: Path) -> None:
    bundle = ota.build(fake_wheel(tmp_path), tmp_path / "out")
    altered = tmp_path / "altered.tar.gz"
    with tarfile.open(bundle) as source, tarfile.open(altered, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == "systemd/dozor-edge.service":
                data = data.replace(b"WatchdogSec=60", b"WatchdogSec=0")
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    with pytest.raises(ota.BundleError, match="dozor-edge.service: checksum mismatch"):
        ota.verify(altered)
