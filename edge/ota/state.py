"""The OTA journal (`{root}/ota-state.json`) and the release links it governs.

The journal is the source of truth; the `good` and `current` links follow it and are repaired from it at every
supervisor start, so a power cut between writing one and switching the other leaves nothing ambiguous:

    good      the last release that passed the health gate (the systemd unit runs its supervisor)
    current   the release the box runs: the trial's while a trial is on, else `good`
    previous  the release before `good`, kept on disk for a rollback

Every write is a whole new file, fsynced, renamed over the old one, the directory fsynced.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cloud_sync.durable import fsync_dir, write_atomic

RELEASE_FILE = "release.json"  # written last into a slot: a slot without it is incomplete


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Trial:
    version: str
    source: str | None  # the good release it replaces (None on a box without one)
    attempts: int = 0
    started_at: str = field(default_factory=now_iso)
    request_id: str = ""


@dataclass
class LastResult:
    version: str
    result: str  # healthy | rolled_back | refused | failed
    reason: str
    at: str = field(default_factory=now_iso)
    request_id: str = ""
    reported: bool = False  # published to the portal as an `ota` event


@dataclass
class OtaState:
    good: str | None = None
    previous: str | None = None
    trial: Trial | None = None
    last: LastResult | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def of(cls, data: dict[str, Any]) -> OtaState:
        trial, last = data.get("trial"), data.get("last")
        return cls(
            good=data.get("good"),
            previous=data.get("previous"),
            trial=Trial(**trial) if trial else None,
            last=LastResult(**last) if last else None,
        )


class Slots:
    """`{root}/releases/<version>/` (venv/, bundle/, release.json), the links and the journal."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.releases = root / "releases"
        self.downloads = root / "downloads"
        self.state_path = root / "ota-state.json"
        self.health_path = root / "health.json"
        self.pid_path = root / "supervisor.pid"

    def ensure(self) -> None:
        for path in (self.root, self.releases, self.downloads):
            path.mkdir(parents=True, exist_ok=True)

    def slot(self, version: str) -> Path:
        return self.releases / version

    def complete(self, version: str | None) -> bool:
        return version is not None and (self.slot(version) / RELEASE_FILE).is_file()

    def dozor(self, version: str) -> Path:
        return self.slot(version) / "venv" / "bin" / "dozor"

    def link(self, name: str) -> str | None:
        try:
            return Path(os.readlink(self.root / name)).name
        except OSError:
            return None

    def switch(self, name: str, version: str) -> None:
        """Point link `name` at releases/<version> atomically (rename over the old link)."""
        if self.link(name) == version:
            return
        tmp = self.root / f".{name}.new"
        tmp.unlink(missing_ok=True)
        os.symlink(f"releases/{version}", tmp)
        os.replace(tmp, self.root / name)
        fsync_dir(self.root)

    # --- journal ---------------------------------------------------------------------------------------

    def read(self) -> OtaState:
        try:
            return OtaState.of(json.loads(self.state_path.read_text()))
        except FileNotFoundError:
            return OtaState()

    def write(self, state: OtaState) -> None:
        write_atomic(self.state_path, json.dumps(state.as_dict(), indent=1))

    @contextmanager
    def locked(self) -> Iterator[OtaState]:
        """Read-modify-write of the journal under an flock (installer, supervisor and CLI share it)."""
        self.ensure()
        with (self.root / "ota.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                state = self.read()
                yield state
                self.write(state)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def repair_links(self, state: OtaState) -> None:
        """Make the links say what the journal says (after a power cut between the two)."""
        if state.good and self.complete(state.good):
            self.switch("good", state.good)
        target = state.trial.version if state.trial else state.good
        if target and self.complete(target):
            self.switch("current", target)

    def prune(self, state: OtaState) -> None:
        """Drop slots other than good, previous and the trial's; and any half-written staging dir."""
        keep = {v for v in (state.good, state.previous, state.trial.version if state.trial else None) if v}
        for path in self.releases.iterdir() if self.releases.is_dir() else ():
            if path.name not in keep:
                shutil.rmtree(path, ignore_errors=True)

    def status(self) -> dict[str, Any]:
        state = self.read()
        last = state.last
        return {
            "current": self.link("current") or state.good,
            "previous": state.previous,
            "good": state.good,
            "trial": asdict(state.trial) if state.trial else None,
            "last": (
                {"version": last.version, "result": last.result, "reason": last.reason, "at": last.at} if last else None
            ),
        }
