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


class _CountingStore:
    """Objects in memory; counts whole and ranged reads."""

    whole_reads = True
    reads_in_flight = 4

    def __init__(self, objects: dict[str, bytes]) -> None:
        self.objects = objects
        self.whole: list[str] = []
        self.ranged: list[tuple[str, int, int]] = []

    def read(self, key: str) -> bytes:
        self.whole.append(key)
        return self.objects[key]

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        self.ranged.append((key, offset, length))
        return self.objects[key][offset : offset + length]


def test_progressive_reads_take_whole_objects_for_whole_pieces_and_ranges_otherwise() -> None:
    from portal.archive.progressive import WHOLE_SLACK, Layout, Piece, iter_range

    objects = {"a": b"A" * 300 + bytes(range(256)) * 400, "b": b"B" * 200 + bytes(range(255, -1, -1)) * 40}
    media = {k: v[300 if k == "a" else 200 :] for k, v in objects.items()}
    header = b"HEAD" * 10
    pieces = [
        Piece("a", 300, len(media["a"]), len(header), len(objects["a"])),
        Piece("b", 200, len(media["b"]), len(header) + len(media["a"]), len(objects["b"])),
    ]
    plan = Layout(header, pieces, len(header) + len(media["a"]) + len(media["b"]), '"x"', 12.0)
    full = header + media["a"] + media["b"]
    store = _CountingStore(objects)
    assert b"".join(iter_range(store, plan, 0, plan.size - 1)) == full
    assert store.whole == ["a", "b"] and store.ranged == []  # each piece is its object's media to the end

    store = _CountingStore(objects)
    first, last = len(header) + WHOLE_SLACK, plan.size - 2  # a resume deep into a, ending before b's end
    assert b"".join(iter_range(store, plan, first, last)) == full[first : last + 1]
    assert store.whole == [] and [r[0] for r in store.ranged] == ["a", "b"]  # partial pieces: ranged reads
    assert WHOLE_SLACK > 300

    store = _CountingStore({"a": objects["a"][:-1], "b": objects["b"]})  # the stored object is not the indexed one
    with pytest.raises(OSError, match="the index says"):
        b"".join(iter_range(store, plan, 0, plan.size - 1))

    store = _CountingStore(objects)
    store.whole_reads = False  # a directory store: ranges cost it no more
    assert b"".join(iter_range(store, plan, 0, plan.size - 1)) == full
    assert store.whole == [] and len(store.ranged) == 2


def test_progressive_read_window_is_bounded_by_bytes_and_count_and_always_moves() -> None:
    from portal.archive.progressive import READ_AHEAD_BYTES, _Window

    piece = READ_AHEAD_BYTES // 10
    window = _Window([(f"k{i}", 0, piece, 0) for i in range(40)], most=16)
    started = window.to_start()
    assert len(started) == 10  # the byte budget, not the count, bounds 2 MiB pieces
    assert window.to_start() == []  # nothing more until one is handed on
    window.consumed(started[0])
    assert [r[0] for r in window.to_start()] == ["k10"]

    small = _Window([(f"s{i}", 0, 1000, 0) for i in range(40)], most=4)
    assert len(small.to_start()) == 4  # small pieces: the store's count bounds them
    assert len(_Window([(f"s{i}", 0, 1000, 0) for i in range(40)], most=99).to_start()) == 16  # the pool's threads

    huge = _Window([("big", 0, READ_AHEAD_BYTES * 3, 0), ("next", 0, 10, 0)], most=16)
    assert [r[0] for r in huge.to_start()] == ["big"]  # one read larger than the budget still starts, alone
    huge.consumed(("big", 0, READ_AHEAD_BYTES * 3, 0))
    assert [r[0] for r in huge.to_start()] == ["next"]


def test_directory_reads_for_downloads_fill_pooled_buffers(tmp_path) -> None:
    from portal.archive.storage import LocalStorage
    from tests.fixtures.loops import run_in_own_loop

    storage = LocalStorage(tmp_path)
    body = bytes(range(256)) * 5000
    storage.put("cam1/seg.m4s", body)
    reads = storage.async_reads.session()

    async def main() -> None:
        view = await reads.read_range("cam1/seg.m4s", 1000, 700_000)
        assert isinstance(view, memoryview) and bytes(view) == body[1000:701_000]
        with pytest.raises(ObjectNotFound):
            await reads.read_range("cam1/none.m4s", 0, 10)
        with pytest.raises(OSError, match="shorter"):
            await reads.read_range("cam1/seg.m4s", len(body) - 5, 10)
        assert await reads.read("cam1/seg.m4s") == body

    run_in_own_loop(main())
    reads.close()
