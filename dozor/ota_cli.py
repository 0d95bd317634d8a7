"""`dozor ota keygen|build|verify` (the release side) and `dozor edge ota …` (the box side)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import typer

from dozor.errors import UserError

ROOT = Path(__file__).resolve().parents[1]
ota_app = typer.Typer(no_args_is_help=True, help="Signed OTA bundles: keys, build, verify")
edge_ota_app = typer.Typer(no_args_is_help=True, help="This box's releases: install, status, rollback")


@ota_app.command("keygen")
def keygen(out: Path = typer.Option(..., "--out", help="Directory for ota-signing.key (0600) and .pub")) -> None:
    """Make an Ed25519 signing key pair; the .pub goes to the boxes (ota.keys), the .key stays offline."""
    from cloud_sync.ota_bundle import BundleError, generate_keypair, key_id, load_public_keys

    try:
        private, public = generate_keypair(out)
    except BundleError as exc:
        raise UserError(str(exc)) from None
    (kid,) = load_public_keys([public])
    typer.echo(f"{private}\n{public}\nkey id {kid}")
    del key_id


def _source_files() -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for folder, prefix, pattern in (
        (ROOT / "hw-tests", "hw-tests", "**/*"),
        (ROOT / "image-build" / "systemd", "systemd", "*"),
    ):
        for path in sorted(folder.glob(pattern)):
            if path.is_file() and "__pycache__" not in path.parts:
                files[f"{prefix}/{path.relative_to(folder).as_posix()}"] = path.read_bytes()
    return files


@ota_app.command("build")
def build(
    version: str = typer.Option(..., "--version", help="Release version, dotted numbers (e.g. 1.4.0)"),
    key: Path = typer.Option(..., "--key", help="Ed25519 private key (PEM) from `dozor ota keygen`"),
    out: Path = typer.Option(..., "--out", help="Bundle file to write"),
    min_from: str = typer.Option("0", "--min-from", help="Oldest release this one may upgrade"),
    wheel: list[Path] = typer.Option([], "--wheel", help="Use these wheels (default: build dozor + all deps)"),
    no_deps: bool = typer.Option(False, "--no-deps", help="Only the dozor wheel (boxes with base site-packages)"),
) -> None:
    """Build and sign a bundle: the wheels (offline install on the box), hw-tests and the systemd units."""
    from cloud_sync.ota_bundle import BundleError, build_bundle, load_private_key

    try:
        signing = load_private_key(key)
        with tempfile.TemporaryDirectory() as tmp:
            wheels = list(wheel) or _build_wheels(Path(tmp), no_deps)
            path = build_bundle(out, version, signing, wheels, _source_files(), min_from=min_from)
    except BundleError as exc:
        raise UserError(str(exc)) from None
    typer.echo(str(path))


def _build_wheels(tmp: Path, no_deps: bool) -> list[Path]:
    argv = [sys.executable, "-m", "pip", "wheel", "-q", "-w", str(tmp)]
    proc = subprocess.run([*argv, *(["--no-deps"] if no_deps else []), str(ROOT)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise UserError(f"pip wheel failed: {proc.stderr.strip()[-500:]}")
    return sorted(tmp.glob("*.whl"))


@ota_app.command("verify")
def verify(
    bundle: Path = typer.Argument(..., help="Bundle file"),
    pub: list[Path] = typer.Option([], "--pub", help="Trusted public key(s) or key dirs (default $DOZOR_OTA_KEYS)"),
) -> None:
    """Check a bundle's hashes and, with trusted keys, its signature."""
    from cloud_sync.ota_bundle import BundleError, load_public_keys, verify_bundle

    paths = list(pub) or [Path(p) for p in os.environ.get("DOZOR_OTA_KEYS", "").split(os.pathsep) if p]
    try:
        keys = load_public_keys(paths) if paths else None
        manifest = verify_bundle(bundle, keys)
    except BundleError as exc:
        raise UserError(f"refused: {exc}") from None
    trust = "signature ok" if keys is not None else "signature NOT checked (no --pub or DOZOR_OTA_KEYS)"
    typer.echo(
        f"ok: dozor {manifest.version} (from {manifest.min_from}), {len(manifest.files)} files, "
        f"key {manifest.key_id}, {trust}"
    )


@edge_ota_app.command("install")
def edge_install(
    bundle: str = typer.Argument(..., help="Bundle file (e.g. from a USB stick), or an http(s) URL with --sha256"),
    config: Path = typer.Option(..., "--config", help="Box config (YAML)"),
    sha256: str | None = typer.Option(None, "--sha256", help="Expected SHA-256 of a bundle given by URL"),
    no_wait: bool = typer.Option(False, "--no-wait", help="Do not wait for the health gate"),
) -> None:
    """Verify, install into a new slot, switch, and wait for the health gate (rolls back on failure)."""
    from edge.ota.cli import install, print_json

    result = install(config, bundle, wait=not no_wait, sha256=sha256)
    print_json(result)
    raise typer.Exit(0 if result["result"] in ("healthy", "staged") else 1)


@edge_ota_app.command("status")
def edge_status(
    config: Path = typer.Option(..., "--config", help="Box config (YAML)"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
) -> None:
    """The running release, the previous one, and the last update's result."""
    from edge.ota.cli import print_json, status

    data = status(config)
    if as_json:
        print_json(data)
        return
    last = data["last"] or {}
    typer.echo(f"current {data['current']}, previous {data['previous'] or '-'}")
    if last:
        typer.echo(f"last: {last['version']} {last['result']} at {last['at']}: {last['reason']}")


@edge_ota_app.command("rollback")
def edge_rollback(config: Path = typer.Option(..., "--config", help="Box config (YAML)")) -> None:
    """Go back to the previous release by hand."""
    from edge.ota.cli import print_json, rollback

    print_json(rollback(config))


@edge_ota_app.command("init")
def edge_init(
    bundle: Path = typer.Argument(..., help="The image's bundle"),
    config: Path = typer.Option(..., "--config", help="Box config (YAML)"),
) -> None:
    """First boot: lay out the slots with this bundle as the good release (no gate: nothing to fall back to)."""
    from edge.ota.cli import init, print_json

    print_json(init(config, bundle))


def edge_supervise(config: Path = typer.Option(..., "--config", help="Box config (YAML)")) -> None:
    """Run the box's current release under the OTA supervisor (the systemd unit's main process)."""
    from edge.ota.cli import supervise

    supervise(config)
