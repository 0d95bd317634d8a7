"""Object storage for video: a local directory (embedded default) or any S3 (SeaweedFS, MinIO, Ceph RGW).

``open_storage(url)`` picks the backend from the portal's ``storage_url``:
- ``file:///var/lib/dozor/objects``
- ``s3://BUCKET[/PREFIX]?endpoint=http://host:port&region=us-east-1&access_key=…&secret_key=…``

Writes are all-or-nothing: a reader never sees half an object, and a failed write leaves nothing behind.
"""

import asyncio
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from cloud_sync.durable import write_atomic
from portal.archive.buffers import POOL

if TYPE_CHECKING:
    from portal.services import Services

CHUNK = 256 * 1024
_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*(/[A-Za-z0-9][A-Za-z0-9_.\-]*)*$")


class ObjectNotFound(KeyError):
    """The key has no object in the store."""


class AsyncReadSession(Protocol):
    """One download's reads on the event loop: the bytes may be a view of a pooled buffer
    (portal/archive/buffers.py), to be handed back with ``POOL.give`` once sent. ``close()`` when done."""

    async def read(self, key: str) -> bytes | memoryview: ...

    async def read_range(self, key: str, offset: int, length: int) -> bytes | memoryview: ...

    def close(self) -> None: ...


class AsyncReads(Protocol):
    def session(self) -> AsyncReadSession: ...


class Storage(Protocol):
    url: str

    @property
    def async_reads(self) -> AsyncReads | None:
        """A download's reads for the event loop (S3 with static keys: GETs on the loop; a directory: preads on
        the loop's executor), into pooled buffers; None: the download reads on the clip reader threads."""

    # A whole-object read costs this store less than a range starting inside the object (an object store's
    # plain GET; a file's pread costs the same either way).
    whole_reads: bool
    # Reads a download keeps in flight (portal/archive/progressive.py): an object store wants many (latency, and
    # SeaweedFS spends less CPU per byte with more), local files few (a pread is quick; more threads only contend).
    reads_in_flight: int

    def put(self, key: str, data: bytes | Iterable[bytes], sha256: str | None = None) -> int:
        """Store an object from bytes or a stream of chunks; returns its size. Atomic. ``sha256``: the hex
        digest of ``data`` when the caller already computed it (ingest), so the store need not hash it again."""

    def get(self, key: str) -> Iterator[bytes]:
        """The object's bytes as chunks; raises ObjectNotFound."""

    def read(self, key: str) -> bytes:
        """The whole object (small objects: init segments, one media segment)."""

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        """``length`` bytes from ``offset`` (progressive downloads read just the samples); raises ObjectNotFound,
        or OSError when the object is shorter than asked."""

    def exists(self, key: str) -> bool: ...

    def delete(self, keys: Iterable[str]) -> int:
        """Delete objects; missing ones are fine (deletes are idempotent). Returns how many were asked."""

    def list(self, prefix: str) -> Iterator[str]:
        """Keys starting with ``prefix``, in lexical order for S3, unordered for a directory."""


def check_key(key: str) -> str:
    """Keys are relative, slash-separated, of safe characters: no '..', no absolute paths."""
    if not _KEY_RE.match(key) or ".." in key:
        raise ValueError(f"invalid object key {key!r}")
    return key


def check_range_read(key: str, got: int, offset: int, length: int) -> None:
    """A ranged read must give exactly ``length`` bytes; fewer means the object ends before ``offset + length``."""
    if got != length:
        raise OSError(f"object {key!r} is shorter than {offset + length} bytes")


def as_chunks(data: bytes | Iterable[bytes]) -> Iterator[bytes]:
    if isinstance(data, bytes | bytearray | memoryview):
        yield bytes(data)
        return
    yield from data


class LocalStorage:
    """Objects as files under a root directory; written to a temp file, fsynced, renamed."""

    whole_reads = False
    async_reads: AsyncReads | None
    reads_in_flight = 4  # an hour: 0.36-0.38 s at 4, 0.37-0.40 s at 8, 0.46-0.51 s at 16 (docs/downloads.md)

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.url = self.root.resolve().as_uri()
        self.async_reads = _FileReads(self)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes | Iterable[bytes], sha256: str | None = None) -> int:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        return write_atomic(path, as_chunks(data))

    def get(self, key: str) -> Iterator[bytes]:
        try:
            handle = self._path(key).open("rb")
        except FileNotFoundError:
            raise ObjectNotFound(key) from None
        return _file_chunks(handle)

    def read(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise ObjectNotFound(key) from None

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        try:
            with self._path(key).open("rb") as handle:
                handle.seek(offset)
                data = handle.read(length)
        except FileNotFoundError:
            raise ObjectNotFound(key) from None
        check_range_read(key, len(data), offset, length)
        return data

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, keys: Iterable[str]) -> int:
        count = 0
        for key in keys:
            self._path(key).unlink(missing_ok=True)
            count += 1
        return count

    def list(self, prefix: str) -> Iterator[str]:
        # Walk only the directory the prefix points into, then filter by the partial last part.
        base = self.root / prefix.rsplit("/", 1)[0] if "/" in prefix else self.root
        if not base.is_dir():
            return
        for dirpath, _dirs, files in os.walk(base):
            for name in files:
                if name.startswith("."):
                    continue  # in-flight temp files
                key = Path(dirpath, name).relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    yield key


class _FileReads:
    """A download's reads of files: ``preadv`` into pooled buffers (portal/archive/buffers.py) on the event loop's
    executor (a disk read may block; the loop must not). A fresh ``bytes`` per segment cost ~20,000 page faults an
    hour. Stateless, so one object is every download's session."""

    def __init__(self, storage: LocalStorage) -> None:
        self._storage = storage

    def session(self) -> "_FileReads":
        return self

    async def read(self, key: str) -> bytes | memoryview:
        return await asyncio.get_running_loop().run_in_executor(None, self._storage.read, key)

    async def read_range(self, key: str, offset: int, length: int) -> bytes | memoryview:
        path = self._storage._path(key)
        view = POOL.take(length)
        got = await asyncio.get_running_loop().run_in_executor(None, _pread_into, path, key, offset, view)
        check_range_read(key, got, offset, length)
        return view

    def close(self) -> None:
        pass


def _pread_into(path: Path, key: str, offset: int, view: memoryview) -> int:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise ObjectNotFound(key) from None
    try:
        got = 0
        while got < len(view):
            n = os.preadv(fd, [view[got:]], offset + got)
            if n == 0:
                break
            got += n
        return got
    finally:
        os.close(fd)


def _file_chunks(handle) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def open_storage(url: str) -> Storage:
    """The backend named by a storage URL (see module doc); a clear ValueError for anything else."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ValueError(f"storage_url: file URLs must be file:///absolute/path, got {url!r}")
        return LocalStorage(Path(unquote(parts.path)))
    if parts.scheme == "s3":
        from portal.archive.storage_s3 import S3Storage

        if not parts.hostname:
            raise ValueError("storage_url: s3:// needs a bucket name, e.g. s3://video?endpoint=…")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        unknown = set(query) - {"endpoint", "region", "access_key", "secret_key"}
        if unknown:
            raise ValueError(f"storage_url: unknown s3 parameter(s) {sorted(unknown)}")
        return S3Storage(
            bucket=parts.netloc,
            prefix=parts.path.strip("/"),
            endpoint=query.get("endpoint"),
            region=query.get("region", "us-east-1"),
            access_key=query.get("access_key"),
            secret_key=query.get("secret_key"),
            url=url,
        )
    raise ValueError(f"storage_url: unsupported scheme {parts.scheme!r} (use file:///dir or s3://bucket?…)")


def storage_of(services: "Services") -> Storage:
    """The store the app registered at ``services.storage`` (see portal/app.py), opened on first use otherwise."""
    if services.storage is None:
        services.storage = open_storage(services.settings.resolved_storage_url())
    return services.storage
