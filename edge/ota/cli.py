"""`dozor edge ota install|status|rollback|init` and `dozor edge supervise` (registered in dozor/cli.py)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from dozor.errors import UserError
from edge.config import ConfigError, EdgeConfig, OtaConfig, load_config
from edge.ota.install import InstallError, begin_trial, fetch, first_release, manual_rollback, refuse, stage
from edge.ota.state import Slots


def _ota(config_path: Path) -> tuple[EdgeConfig, OtaConfig]:
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    if config.ota is None:
        raise UserError(f"{config_path} has no `ota:` section (root, keys); OTA updates are off on this box")
    return config, config.ota


def install(config_path: Path, source: str, wait: bool = True, sha256: str | None = None) -> dict[str, Any]:
    """A technician's bundle (USB stick) or a URL: the same verification, gate and rollback as from the portal."""
    config, ota = _ota(config_path)
    if source.startswith(("http://", "https://")):
        if not sha256:
            raise UserError("--sha256: required with a URL (the bundle's SHA-256, as the portal lists it)")
        kbps = config.portal.bandwidth_kbps if config.portal is not None else 0
        try:
            bundle = fetch(ota, source, sha256, kbps)
        except InstallError as exc:
            raise UserError(f"download failed: {exc}") from None
    else:
        bundle = Path(source)
    if not bundle.is_file():
        raise UserError(f"{bundle}: no such bundle file")
    try:
        manifest = stage(ota, bundle)
    except InstallError as exc:
        refuse(ota, "?", str(exc))
        raise UserError(f"bundle refused: {exc}") from None
    told = begin_trial(ota, manifest.version)
    slots = Slots(ota.root)
    if not told or not wait:
        return {"version": manifest.version, "result": "staged", "supervisor": told}
    deadline = time.monotonic() + ota.gate_seconds * ota.gate_attempts + 120
    while time.monotonic() < deadline:
        state = slots.read()
        if state.trial is None and state.last is not None and state.last.version == manifest.version:
            return {"version": manifest.version, "result": state.last.result, "reason": state.last.reason}
        time.sleep(1.0)
    return {"version": manifest.version, "result": "pending", "reason": "the health gate has not finished yet"}


def status(config_path: Path) -> dict[str, Any]:
    _, ota = _ota(config_path)
    return Slots(ota.root).status()


def rollback(config_path: Path) -> dict[str, Any]:
    """Switch back to the previous release by hand (it passed its gate before)."""
    _, ota = _ota(config_path)
    try:
        return manual_rollback(ota)
    except InstallError as exc:
        raise UserError(str(exc)) from None


def init(config_path: Path, bundle: Path) -> dict[str, Any]:
    _, ota = _ota(config_path)
    try:
        manifest = first_release(ota, bundle)
    except InstallError as exc:
        raise UserError(str(exc)) from None
    return {"current": manifest.version, "root": str(ota.root)}


def supervise(config_path: Path) -> None:
    from edge.ota.supervisor import supervise as run

    config, _ = _ota(config_path)
    run(config_path, config)


def print_json(data: dict[str, Any]) -> None:
    print(json.dumps(data, ensure_ascii=False))
