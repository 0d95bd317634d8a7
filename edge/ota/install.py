"""Install a bundle into a new slot, then hand it to the supervisor's health gate.

    stage(bundle)       verify signature + hashes while unpacking into releases/.staging-*, make its venv,
                        install the bundle's wheels offline, write release.json, rename to releases/<version>
    begin_trial(v)      journal the trial, switch `current`, tell the supervisor (SIGHUP) to restart into it

A crash anywhere in stage() leaves only a staging directory (removed at the next install); `current` and
`good` are untouched until begin_trial, whose journal entry comes before the link switch (state.py).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

from cloud_sync.durable import write_atomic
from cloud_sync.ota_bundle import BundleError, Manifest, load_public_keys, verify_bundle
from edge.config import OtaConfig
from edge.ota import faults
from edge.ota.state import RELEASE_FILE, LastResult, Slots, Trial, now_iso

Step = Callable[[str], None]


class InstallError(RuntimeError):
    """The bundle is refused or could not be installed; nothing on the box changed."""


def stage(ota: OtaConfig, bundle: Path, step: Step | None = None) -> Manifest:
    slots = Slots(ota.root)
    slots.ensure()
    for old in slots.releases.glob(".staging-*"):
        _rmtree(old)
    state = slots.read()
    if state.trial is not None:
        raise InstallError(f"release {state.trial.version} is still on trial; wait for its health gate")
    try:
        keys = load_public_keys(ota.keys)
    except BundleError as exc:
        raise InstallError(str(exc)) from None
    if not keys:
        raise InstallError(f"no trusted OTA public keys in {', '.join(map(str, ota.keys))}; every bundle is refused")
    staging = slots.releases / f".staging-{uuid.uuid4().hex[:8]}"
    try:
        (step or _quiet)("verifying")
        faults.point("verify")
        try:
            manifest = verify_bundle(bundle, keys, unpack_to=staging / "bundle")
        except BundleError as exc:
            raise InstallError(str(exc)) from None
        if manifest.version == state.good:
            raise InstallError(f"release {manifest.version} is already installed and running")
        if not manifest.upgrades_from(state.good):
            raise InstallError(
                f"release {manifest.version} upgrades only from {manifest.min_from} or later; "
                f"this box runs {state.good}"
            )
        # venvs hold absolute paths: the slot gets its final name before its venv is made; release.json,
        # written last, is what makes it complete (state.py).
        target = slots.slot(manifest.version)
        if target.exists():  # an earlier, refused or rolled back copy of this version
            _rmtree(target)
        staging.rename(target)
        staging = target
        (step or _quiet)("installing")
        _make_venv(ota, target, manifest)
        faults.point("unpack")
        release = {"version": manifest.version, "min_from": manifest.min_from, "key_id": manifest.key_id,
                   "created": manifest.created, "installed_at": now_iso()}  # fmt: skip
        write_atomic(target / RELEASE_FILE, json.dumps(release))
        return manifest
    except BaseException:
        _rmtree(staging)
        raise


def _make_venv(ota: OtaConfig, slot: Path, manifest: Manifest) -> None:
    venv = slot / "venv"
    argv = [sys.executable, "-m", "venv"]
    if ota.system_site_packages:
        argv.append("--system-site-packages")
    if ota.base_site_packages is not None:
        argv.append("--without-pip")  # pip comes from the base site-packages below
    _run([*argv, str(venv)], "creating the release's venv")
    if ota.base_site_packages is not None:
        site = next((venv / "lib").glob("python*/site-packages"))
        (site / "_dozor_base.pth").write_text(f"{ota.base_site_packages}\n")
    wheels = [str(slot / "bundle" / "wheels" / name) for name in manifest.wheels]
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--no-index", "--no-deps", "--ignore-installed"]
    _run([*pip, "--disable-pip-version-check", "-q", *wheels], "installing the bundle's wheels (offline)")
    if not (venv / "bin" / "dozor").is_file():
        raise InstallError("the bundle's wheels installed no `dozor` command; not a dozor release")


def _run(argv: list[str], what: str) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise InstallError(f"{what} failed (exit {proc.returncode}): {' | '.join(tail)}")


def begin_trial(ota: OtaConfig, version: str, request_id: str = "") -> bool:
    """Journal the trial and switch `current`; True when a running supervisor was told to restart into it."""
    slots = Slots(ota.root)
    with slots.locked() as state:
        if state.trial is not None:
            raise InstallError(f"release {state.trial.version} is already on trial")
        state.trial = Trial(version=version, source=state.good, request_id=request_id)
    faults.point("switch")
    slots.switch("current", version)
    return signal_supervisor(slots)


def refuse(ota: OtaConfig, version: str, reason: str, request_id: str = "") -> None:
    """Journal a refused bundle so status and the portal show why."""
    with Slots(ota.root).locked() as state:
        state.last = LastResult(version=version, result="refused", reason=reason, request_id=request_id)


def signal_supervisor(slots: Slots) -> bool:
    try:
        pid = int(slots.pid_path.read_text().strip())
        os.kill(pid, signal.SIGHUP)
    except (OSError, ValueError):
        return False
    return True


def first_release(ota: OtaConfig, bundle: Path) -> Manifest:
    """First boot (image-build): install the image's bundle as the good release, without a gate."""
    slots = Slots(ota.root)
    if slots.read().good is not None:
        raise InstallError(f"{ota.root} already has a release ({slots.read().good}); use `dozor edge ota install`")
    manifest = stage(ota, bundle)
    with slots.locked() as state:
        state.good = manifest.version
        state.last = LastResult(version=manifest.version, result="healthy", reason="first release", reported=True)
    slots.repair_links(slots.read())
    return manifest


def _rmtree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def _quiet(_step: str) -> None:
    pass


def fetch(
    ota: OtaConfig,
    url: str,
    sha256: str,
    kbps: int = 0,
    progress: Callable[[int, int | None], None] | None = None,
    headers: dict[str, str] | None = None,
) -> Path:
    """Download a bundle into `{root}/downloads/` (resuming a part file left by a crash), capped at `kbps`."""
    from cloud_sync.bandwidth import TokenBucket
    from edge.ota.download import DownloadError, download

    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise InstallError("sha256: expected 64 lowercase hex digits")
    slots = Slots(ota.root)
    slots.ensure()
    for old in slots.downloads.iterdir():  # one bundle at a time: older downloads are dead weight on the SD card
        if not old.name.startswith(sha256):
            old.unlink(missing_ok=True)
    bucket = TokenBucket.from_kbps(ota.bandwidth_kbps or kbps)
    try:
        return download(url, slots.downloads / f"{sha256}.tar", sha256, bucket, progress, headers=headers)
    except DownloadError as exc:
        raise InstallError(str(exc)) from None


def manual_rollback(ota: OtaConfig, who: str = "a technician") -> dict[str, object]:
    """Back to the previous release (it passed its gate before); the current one becomes previous."""
    slots = Slots(ota.root)
    with slots.locked() as state:
        if state.trial is not None:
            raise InstallError(f"release {state.trial.version} is on trial; its health gate decides (wait for it)")
        if not state.previous or not slots.complete(state.previous):
            raise InstallError("no previous release is kept on this box; nothing to roll back to")
        was = state.good
        state.good, state.previous = state.previous, state.good
        state.last = LastResult(was or "?", "rolled_back", f"manual rollback to {state.good} by {who}")
    slots.repair_links(slots.read())
    return {"current": slots.read().good, "previous": was, "supervisor": signal_supervisor(slots)}
