"""The signed bundle format and `dozor ota keygen|build|verify` (no box involved)."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from cloud_sync.ota_bundle import BundleError, build_bundle, load_private_key, load_public_keys, verify_bundle
from tests.ota.helpers import dozor, keys, tamper, truncate


@pytest.fixture()
def signed(tmp_path: Path) -> tuple[Path, Path, Path]:
    key, pub = keys(tmp_path / "keys")
    wheel = tmp_path / "dozor-9.9.9-py3-none-any.whl"
    wheel.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 8)
    out = build_bundle(tmp_path / "b.tar", "1.2.0", load_private_key(key), [wheel], {"hw-tests/x.py": b"pass\n"})
    return out, pub, tmp_path


def test_good_bundle_verifies_and_unpacks(signed: tuple[Path, Path, Path]) -> None:
    bundle, pub, tmp = signed
    manifest = verify_bundle(bundle, load_public_keys([pub]), unpack_to=tmp / "u")
    assert manifest.version == "1.2.0" and manifest.wheels == ("dozor-9.9.9-py3-none-any.whl",)
    assert (tmp / "u" / "hw-tests" / "x.py").read_bytes() == b"pass\n"
    assert manifest.upgrades_from("0.9") and manifest.upgrades_from(None)


def test_untrusted_key_wrong_hash_and_truncation_are_refused(signed: tuple[Path, Path, Path]) -> None:
    bundle, pub, tmp = signed
    _, other = keys(tmp / "other")
    with pytest.raises(BundleError, match="does not trust"):
        verify_bundle(bundle, load_public_keys([other]))
    with pytest.raises(BundleError, match="SHA-256 mismatch"):
        verify_bundle(tamper(bundle, tmp / "t.tar"), load_public_keys([pub]))
    with pytest.raises(BundleError, match="truncated|missing|unreadable"):
        verify_bundle(truncate(bundle, tmp / "c.tar"), load_public_keys([pub]))
    # several trusted keys (rotation): the bundle's own key among others is enough
    assert verify_bundle(bundle, load_public_keys([other, pub])).version == "1.2.0"


def test_altered_manifest_breaks_the_signature(signed: tuple[Path, Path, Path]) -> None:
    bundle, pub, tmp = signed
    with tarfile.open(bundle) as src:
        members = [(m, src.extractfile(m).read()) for m in src.getmembers()]  # type: ignore[union-attr]
    forged = tmp / "f.tar"
    with tarfile.open(forged, "w") as dst:
        for member, data in members:
            if member.name == "manifest.json":
                manifest = json.loads(data)
                manifest["min_from"] = "0.0.1"
                data = json.dumps(manifest, indent=1, sort_keys=True).encode()
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    with pytest.raises(BundleError, match="bad signature"):
        verify_bundle(forged, load_public_keys([pub]))


def test_path_traversal_member_is_refused(tmp_path: Path) -> None:
    key, _ = keys(tmp_path / "k")
    wheel = tmp_path / "dozor-1-py3-none-any.whl"
    wheel.write_bytes(b"x")
    with pytest.raises(BundleError, match="not an allowed member"):
        build_bundle(tmp_path / "b.tar", "1.0", load_private_key(key), [wheel], {"../evil": b"x"})


def test_cli_keygen_build_verify(tmp_path: Path) -> None:
    proc = dozor("ota", "keygen", "--out", str(tmp_path / "k"))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "k" / "ota-signing.key").stat().st_mode & 0o777 == 0o600
    again = dozor("ota", "keygen", "--out", str(tmp_path / "k"))
    assert again.returncode != 0 and "never overwritten" in again.stderr
    wheel = tmp_path / "dozor-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"PK\x03\x04wheel")
    out = tmp_path / "b.tar"
    key = str(tmp_path / "k" / "ota-signing.key")
    built = dozor("ota", "build", "--version", "2.0.1", "--key", key, "--out", str(out), "--wheel", str(wheel))
    assert built.returncode == 0, built.stderr
    ok = dozor("ota", "verify", str(out), "--pub", str(tmp_path / "k"))
    assert ok.returncode == 0 and "dozor 2.0.1" in ok.stdout and "signature ok" in ok.stdout
    bad = dozor("ota", "verify", str(truncate(out, tmp_path / "short.tar")), "--pub", str(tmp_path / "k"))
    assert bad.returncode != 0 and "refused" in bad.stderr
    version = dozor("ota", "build", "--version", "v2", "--key", key, "--out", str(out), "--wheel", str(wheel))
    assert version.returncode != 0 and "dotted numbers" in version.stderr
