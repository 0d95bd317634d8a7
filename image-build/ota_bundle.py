#!/usr/bin/env python3
"""Build (and verify) an OTA update bundle for the entrance box.

A bundle is one `dozor-ota-<version>.tar.gz` holding:
    manifest.json         {"format": 1, "version", "created", "files": {name: {"sha256", "size"}}}
    dozor-<version>-*.whl the package (installed into /opt/dozor/venv by the box's updater)
    hw-tests/...          the self-test suite, replacing /opt/dozor/hw-tests
    systemd/*.service     the units, replacing /etc/systemd/system/dozor-*.service

The box (or a technician) checks every file against the manifest before installing; a bundle that does not
verify is refused whole. Transport authenticity comes from HTTPS to the portal; the manifest guards against
truncated or corrupted downloads.

    python image-build/ota_bundle.py build --out dist/          # builds the wheel with pip, then the bundle
    python image-build/ota_bundle.py build --wheel dist/dozor-0.1.0-py3-none-any.whl --out dist/
    python image-build/ota_bundle.py verify dist/dozor-ota-0.1.0.tar.gz
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORMAT = 1


class BundleError(RuntimeError):
    """The bundle cannot be built or does not verify; the message names the file."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build_wheel(out_dir: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out_dir), str(ROOT)], check=True)
    wheels = sorted(out_dir.glob("dozor-*.whl"), key=lambda p: p.stat().st_mtime)
    if not wheels:
        raise BundleError(f"pip wheel produced no dozor wheel in {out_dir}")
    return wheels[-1]


def bundle_members(wheel: Path) -> dict[str, bytes]:
    """Archive name -> bytes, in a stable order."""
    members: dict[str, bytes] = {wheel.name: wheel.read_bytes()}
    for path in sorted((ROOT / "hw-tests").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            members[f"hw-tests/{path.relative_to(ROOT / 'hw-tests')}"] = path.read_bytes()
    for path in sorted((ROOT / "image-build" / "systemd").glob("*.service")):
        members[f"systemd/{path.name}"] = path.read_bytes()
    return members


def version_of(wheel: Path) -> str:
    parts = wheel.name.split("-")
    if len(parts) < 3 or parts[0] != "dozor":
        raise BundleError(f"{wheel.name}: not a dozor wheel (dozor-<version>-...whl)")
    return parts[1]


def build(wheel: Path, out_dir: Path) -> Path:
    members = bundle_members(wheel)
    version = version_of(wheel)
    manifest = {
        "format": FORMAT,
        "version": version,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "files": {name: {"sha256": sha256(data), "size": len(data)} for name, data in members.items()},
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"dozor-ota-{version}.tar.gz"
    with tarfile.open(target, "w:gz") as archive:
        for name, data in [("manifest.json", json.dumps(manifest, indent=1).encode()), *members.items()]:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            archive.addfile(info, io.BytesIO(data))
    return target


def verify(bundle: Path) -> dict:
    """Return the manifest when every listed file is present with its checksum and nothing else is inside."""
    with tarfile.open(bundle, "r:gz") as archive:
        files = {m.name: archive.extractfile(m).read() for m in archive.getmembers() if m.isfile()}
    if "manifest.json" not in files:
        raise BundleError(f"{bundle}: no manifest.json")
    manifest = json.loads(files.pop("manifest.json"))
    if manifest.get("format") != FORMAT:
        raise BundleError(f"{bundle}: manifest format {manifest.get('format')!r}, expected {FORMAT}")
    listed = manifest["files"]
    for name in sorted(set(files) | set(listed)):
        if name not in listed:
            raise BundleError(f"{name}: in the bundle but not in the manifest")
        if name not in files:
            raise BundleError(f"{name}: listed in the manifest but missing")
        if sha256(files[name]) != listed[name]["sha256"]:
            raise BundleError(f"{name}: checksum mismatch (corrupted or altered)")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("build", help="build a bundle")
    make.add_argument("--wheel", type=Path, help="an existing dozor wheel (default: build one with pip)")
    make.add_argument("--out", type=Path, default=ROOT / "dist")
    check = sub.add_parser("verify", help="verify a bundle against its manifest")
    check.add_argument("bundle", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            with tempfile.TemporaryDirectory() as tmp:
                wheel = args.wheel or build_wheel(Path(tmp))
                print(build(wheel, args.out))
        else:
            manifest = verify(args.bundle)
            print(f"ok: dozor {manifest['version']}, {len(manifest['files'])} files")
    except BundleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
