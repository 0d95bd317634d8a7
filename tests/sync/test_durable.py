"""cloud_sync.durable.write_atomic: the old file or the new one, never a torn one, and no temporary left behind."""

import os
import stat

import pytest

from cloud_sync import durable


def test_replaces_with_the_mode_and_leaves_no_temporary(tmp_path) -> None:
    target = tmp_path / "state.json"
    target.write_text("old")
    durable.write_atomic(target, '{"new": true}', mode=0o640)
    assert target.read_text() == '{"new": true}'
    assert stat.S_IMODE(target.stat().st_mode) == 0o640 & ~_umask()
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch) -> None:
    target = tmp_path / "state.json"
    target.write_bytes(b"old")

    def fail(fd: int) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(durable.os, "fsync", fail)
    with pytest.raises(OSError, match="disk gone"):
        durable.write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def test_streams_chunks_and_counts_them(tmp_path) -> None:
    target = tmp_path / "segment.m4s"
    assert durable.write_atomic(target, iter([b"ab", b"", b"cde"])) == 5
    assert target.read_bytes() == b"abcde"
