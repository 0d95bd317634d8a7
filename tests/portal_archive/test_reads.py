"""Whole-object reads: the S3 store's signed-GET path, and the clip read-ahead (order kept, bounded, cancellable)."""

import threading
import time
from concurrent.futures import wait

import pytest

from portal.archive.clip import ReadAhead
from portal.archive.storage import ObjectNotFound, open_storage


def test_s3_read_path_with_prefix_and_missing_objects(s3) -> None:
    storage = open_storage(s3.storage_url(s3.new_bucket(), prefix="tenant/video"))
    assert storage._reader is not None  # the lean path is the one under test
    body = bytes(range(256)) * 300
    storage.put("cam1/2026-11-22/run-a/00000001.abcd1234.m4s", body)
    assert storage.read("cam1/2026-11-22/run-a/00000001.abcd1234.m4s") == body
    assert b"".join(storage.get("cam1/2026-11-22/run-a/00000001.abcd1234.m4s")) == body  # boto3 path agrees
    with pytest.raises(ObjectNotFound):
        storage.read("cam1/2026-11-22/run-a/00000002.abcd1234.m4s")


class _SlowStore:
    """Reads take a little while and record how many run at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.started: list[str] = []

    def read(self, key: str) -> bytes:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.started.append(key)
        time.sleep(0.005 if key.endswith("0") else 0.001)  # some finish out of order
        with self.lock:
            self.running -= 1
        return key.encode()


def test_read_ahead_keeps_order_and_bounds_reads_in_flight() -> None:
    store = _SlowStore()
    keys = [f"k{i}" for i in range(40)]
    assert list(ReadAhead(store, keys, depth=4)) == [k.encode() for k in keys]
    assert 1 <= store.most <= 4


def test_read_ahead_close_stops_further_reads() -> None:
    store = _SlowStore()
    ahead = ReadAhead(store, [f"k{i}" for i in range(100)], depth=3)
    items = iter(ahead)
    assert next(items) == b"k0"
    in_flight = list(ahead._pending)  # the reads close() may find already running
    ahead.close()
    wait(in_flight, timeout=10)  # cancelled or finished: no read of these can still start
    assert all(f.done() for f in in_flight)
    assert len(store.started) <= 4  # the first window plus the refill after k0, nothing after close
