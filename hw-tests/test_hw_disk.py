"""The archive disk: free space above the reserve, and a sustained write speed the recorder can live with."""

from __future__ import annotations

import os
import shutil
import time

import pytest

MIN_WRITE_MBPS = float(os.environ.get("DOZOR_HW_MIN_WRITE_MBPS", "2"))  # ~10 cameras at 1.5 Mbit/s with margin
SAMPLE_BYTES = 16 * 1024 * 1024


def test_free_space_above_reserve(hw, record_property) -> None:
    hw.config.data_dir.mkdir(parents=True, exist_ok=True)
    usage = shutil.disk_usage(hw.config.data_dir)
    record_property("free_bytes", usage.free)
    assert usage.free > hw.config.disk_reserve, (
        f"only {usage.free} bytes free on {hw.config.data_dir}, below the reserve {hw.config.disk_reserve}"
    )


def test_write_speed(hw, record_property) -> None:
    target = hw.config.data_dir / ".selftest-write"
    block = os.urandom(1024 * 1024)
    started = time.monotonic()
    try:
        with open(target, "wb") as handle:
            for _ in range(SAMPLE_BYTES // len(block)):
                handle.write(block)
            handle.flush()
            os.fsync(handle.fileno())  # measure the card, not the page cache
        elapsed = time.monotonic() - started
    finally:
        target.unlink(missing_ok=True)
    mbps = SAMPLE_BYTES / 1e6 / max(elapsed, 1e-6)
    record_property("write_mbps", round(mbps, 1))
    if hw.mock:
        pytest.skip(f"mock mode: measured {mbps:.1f} MB/s on this host; the floor applies on the box only")
    assert mbps >= MIN_WRITE_MBPS, f"disk writes {mbps:.1f} MB/s, below {MIN_WRITE_MBPS} MB/s: replace the card"
