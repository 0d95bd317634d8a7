"""fsync helpers for writes that must survive a power cut (the box's archive and state, the portal's file store)."""

import os
import secrets
from collections.abc import Iterable
from pathlib import Path


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Make a rename or a new entry in ``path`` durable (the directory's own entry list)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes | str | Iterable[bytes], mode: int = 0o644) -> int:
    """Replace ``path`` with ``data`` (bytes, text, or chunks streamed through) so that a power cut leaves the old
    file or the new one, never a torn one; the number of bytes written."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")  # writers of the same path never share one
    chunks = [data.encode("utf-8")] if isinstance(data, str) else [data] if isinstance(data, bytes) else data
    size = 0
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
                size += len(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
    return size
