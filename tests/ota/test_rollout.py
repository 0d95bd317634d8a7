"""Rollouts on the portal's database: target picking, waves, progress from `ota` events, auto-pause."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cloud_sync.messages import Event
from portal import migrate
from portal.db import Database
from portal.fleet.provisioning import create_device
from portal.models.ota import OtaBundle
from portal.ota import rollout

SHA = "ab" * 32


class Sender:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, Any]]] = []
        self.senders: set[str] = set()

    def submit(self, device_id: str, name: str, args: dict[str, Any], sent_by: str = "") -> str:
        self.sent.append((device_id, name, args))
        self.senders.add(sent_by)
        return f"req-{len(self.sent)}"

    def send(self, *_a: Any, **_k: Any) -> None:
        raise AssertionError("rollouts submit, they never wait")


@pytest.fixture()
def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'p.sqlite3'}")
    migrate.upgrade(database)
    with database.session() as s:
        for n in range(10):
            create_device(s, f"box{n}")
        s.add(OtaBundle(sha256=SHA, version="2.0", size=1000, key_id="k", object_key=f"ota/{SHA}.tar"))
    return database


def ota(device: str, stage: str, reason: str = "", **extra: Any) -> tuple[str, Event]:
    return device, Event(type="ota", data={"version": "2.0", "stage": stage, "reason": reason, **extra})


def test_percent_is_stable_and_devices_are_checked(db: Database) -> None:
    with db.session() as s:
        ten = rollout.pick_devices(s, "2.0", [], None, 10)
        thirty = rollout.pick_devices(s, "2.0", [], None, 30)
        assert len(ten) == 1 and len(thirty) == 3 and thirty[:1] == ten
        with pytest.raises(rollout.RolloutRefused, match="devices: no device 'nope'"):
            rollout.pick_devices(s, "2.0", ["box1", "nope"], None, None)


def test_waves_progress_and_pause_at_threshold(db: Database) -> None:
    sender = Sender()
    with db.session() as s:
        ids = rollout.pick_devices(s, "2.0", [], None, None)
        made = rollout.create(s, s.get(OtaBundle, SHA), ids, waves=2, threshold_percent=20, who="op")  # type: ignore[arg-type]
        rollout.advance(s, sender, "http://portal")
        first = [d for d, _, _ in sender.sent]
        assert len(first) == 5 and all(name == "ota.install" for _, name, _ in sender.sent)
        assert sender.sent[0][2]["url"] == f"http://portal/ota/v1/bundles/{SHA}"
        assert sender.senders == {"ota"}  # the rollout is named as the sender in every box's command log
        for device in first:
            rollout.apply_event(s, *ota(device, "downloading", percent=40))
        assert rollout.summary(s, made)["counts"] == {"downloading": 5, "pending": 5}
        assert len(rollout.latest_by_device(s)) == 10  # every target
        page = rollout.latest_by_device(s, [first[0], "no-such-box"])  # a page of the fleet: its boxes only
        assert page == {first[0]: {"version": "2.0", "state": "downloading", "percent": 40, "reason": ""}}
        for device in first:
            rollout.apply_event(s, *ota(device, "healthy", "passed the health gate in 9 s"))
        rollout.apply_event(s, *ota(first[0], "downloading", percent=10))  # late: never reopens a finished box
        rollout.advance(s, sender, "http://portal")
        second = [d for d, _, _ in sender.sent[5:]]
        assert len(second) == 5 and not set(first) & set(second) and made.wave == 1
        rollout.apply_event(s, *ota(second[0], "rolled_back", "release 2.0 exited with code 1 at start"))
        rollout.advance(s, sender, "http://portal")
        assert made.state == "running"  # 1 of 10 offered failed: 10 % <= 20 %
        for device in second[1:3]:
            rollout.apply_event(s, *ota(device, "rolled_back", "camera cam1 has not committed a segment"))
        rollout.advance(s, sender, "http://portal")
        assert made.state == "paused" and "3 of 10 boxes failed" in made.paused_reason
        assert "exited with code 1" in made.paused_reason
        summary = rollout.summary(s, made)
        assert {t["state"] for t in summary["targets"]} == {"healthy", "rolled_back", "offered"}


def test_small_threshold_pauses_before_the_next_wave(db: Database) -> None:
    sender = Sender()
    with db.session() as s:
        made = rollout.create(s, s.get(OtaBundle, SHA), ["box1", "box2", "box3"], 3, 0, "op")  # type: ignore[arg-type]
        rollout.advance(s, sender, "http://portal")
        ((device, _, _),) = sender.sent
        rollout.apply_event(s, *ota(device, "refused", "signed by key 1234, which this box does not trust"))
        rollout.advance(s, sender, "http://portal")
        assert made.state == "paused" and len(sender.sent) == 1
        assert "does not trust" in made.paused_reason
