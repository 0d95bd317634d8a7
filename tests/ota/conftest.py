"""Module-scoped OTA kit: one real dozor wheel, keys, good and bad bundles, a box laid out with release 1.0."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fixtures.run_wide import run_wide_dir
from tests.ota.helpers import (
    CRASH_AT_START,
    NEVER_RECORDS,
    build_wheel,
    bundle,
    dozor,
    keys,
    patched_wheel,
    tamper,
    truncate,
)


@dataclass
class Kit:
    dir: Path
    key: Path
    pub: Path
    v1: Path
    v2: Path
    bad: dict[str, Path]


@pytest.fixture(scope="session")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Kit:
    tmp = tmp_path_factory.mktemp("ota-kit")
    # Once per run: two workers building in the source tree at once (its build/ and egg-info) broke one of them.
    wheel = next(run_wide_dir(tmp_path_factory, "ota-wheel", build_wheel).glob("dozor-*.whl"))
    key, pub = keys(tmp / "keys")
    _, stranger_pub = keys(tmp / "stranger")
    stranger_key = tmp / "stranger" / "ota-signing.key"
    del stranger_pub
    v2 = bundle(tmp / "dozor-2.0.tar", "2.0", key, wheel)
    bad = {
        "bad_signature": bundle(tmp / "unsigned-2.1.tar", "2.1", stranger_key, wheel),
        "wrong_hash": tamper(v2, tmp / "tampered-2.0.tar"),
        "truncated": truncate(v2, tmp / "truncated-2.0.tar"),
        "crashes_at_start": bundle(
            tmp / "crash-2.2.tar", "2.2", key, patched_wheel(wheel, tmp / "crash", "edge/cli.py", CRASH_AT_START)
        ),
        "never_records": bundle(
            tmp / "silent-2.3.tar", "2.3", key, patched_wheel(wheel, tmp / "silent", "edge/cli.py", NEVER_RECORDS)
        ),
    }
    return Kit(tmp, key, pub, bundle(tmp / "dozor-1.0.tar", "1.0", key, wheel), v2, bad)


@pytest.fixture(scope="module")
def laid_out(kit: Kit, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A box dir whose slots hold release 1.0 (first boot), and a pristine copy of its root to restore."""
    from tests.ota.helpers import box_config

    tmp = tmp_path_factory.mktemp("box")
    config = box_config(tmp, kit.pub)
    proc = dozor("edge", "ota", "init", str(kit.v1), "--config", str(config))
    assert proc.returncode == 0, proc.stderr
    shutil.copytree(tmp / "root", tmp / "pristine", symlinks=True)
    return tmp, config


@pytest.fixture()
def box_dir(laid_out: tuple[Path, Path]) -> Path:
    """The laid-out box, reset to release 1.0 with an empty archive (same paths: venv scripts hold them)."""
    tmp, _ = laid_out
    for name in ("root", "data"):
        shutil.rmtree(tmp / name, ignore_errors=True)
    shutil.copytree(tmp / "pristine", tmp / "root", symlinks=True)
    (tmp / "supervisor.log").unlink(missing_ok=True)
    return tmp
