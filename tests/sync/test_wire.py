"""The wire contract's small parts: topics, message validation, Mosquitto's hash, the box's command store."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cloud_sync import topics
from cloud_sync.command_store import CommandStore
from cloud_sync.messages import Status, validate_args
from portal.fleet.mosquitto_hash import mosquitto_hash, mosquitto_verify


def test_topics_round_trip_and_portal_filters() -> None:
    assert topics.parse(topics.command_result("box-1", "upload.range")) == topics.ParsedTopic(
        "box-1", "cmd_result", "upload.range"
    )
    assert topics.parse("dozor/v2/box-1/status") is None
    subs = topics.portal_subscriptions()
    assert subs[0] == "dozor/v1/+/status"  # retained status needs a non-shared subscription
    assert all(s.startswith("$share/portal/") for s in subs[1:])


def test_bad_command_args_name_the_field() -> None:
    with pytest.raises(ValueError, match="end"):
        validate_args(
            "upload.range", {"camera_id": "cam-1", "start": "2026-11-22T08:00:00Z", "end": "2026-11-22T07:00:00Z"}
        )
    with pytest.raises(ValueError, match="unknown command 'format'"):
        validate_args("format", {})
    with pytest.raises(ValueError, match="ts"):
        Status.model_validate({"state": "online", "session": 1, "ts": "2026-11-22T08:00:00"})


def test_our_hash_is_what_mosquitto_passwd_writes(tmp_path: Path) -> None:
    passwd = tmp_path / "passwd"
    passwd.touch()
    subprocess.run(["mosquitto_passwd", "-b", str(passwd), "u", "secret"], check=True, timeout=30)
    theirs = passwd.read_text().strip().split(":", 1)[1]
    assert mosquitto_verify(theirs, "secret") and not mosquitto_verify(theirs, "other")
    assert mosquitto_verify(mosquitto_hash("secret"), "secret")


def test_command_store_survives_reopen_and_reports_unfinished(tmp_path: Path) -> None:
    store = CommandStore(tmp_path / "c.sqlite3")
    assert store.receive("req-00001", "ping", {}) is None
    store.start("req-00001")
    assert store.receive("req-00002", "ping", {}) is None
    store.close()
    store = CommandStore(tmp_path / "c.sqlite3")
    again = store.receive("req-00001", "ping", {})
    assert again is not None and again.state == "running"  # known: never executed a second time
    assert [c.request_id for c in store.unfinished()] == ["req-00001", "req-00002"]
    store.finish("req-00002", True, {"pong": True})
    assert store.get("req-00002").result == {"pong": True}
    store.close()
