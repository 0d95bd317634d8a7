"""Receiving an upload body: streamed to a spool file with an incremental SHA-256 and a size cap.

Nothing reaches the object store until the whole body has arrived and its checksum matches, so a body
cut mid-way (client gone, proxy timeout) leaves nothing behind.
"""

import hashlib
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import IO

from fastapi import HTTPException

SPOOL_IN_MEMORY = 1024 * 1024  # segments are ~100 KB - 2 MB; bigger ones spill to a temp file
READ_CHUNK = 256 * 1024


@dataclass
class ReceivedBody:
    file: IO[bytes]
    size: int
    sha256: str

    def chunks(self) -> Iterator[bytes]:
        self.file.seek(0)
        while chunk := self.file.read(READ_CHUNK):
            yield chunk

    def read(self) -> bytes:
        """The whole body (bounded by the receive limit)."""
        self.file.seek(0)
        return self.file.read()

    def close(self) -> None:
        self.file.close()


async def receive(stream: AsyncIterator[bytes], max_bytes: int) -> ReceivedBody:
    """Read the whole body; 413 past ``max_bytes``, 400 when empty."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - handed to the caller
    digest = hashlib.sha256()
    size = 0
    try:
        async for chunk in stream:
            size += len(chunk)
            if size > max_bytes:
                raise HTTPException(413, f"body exceeds the limit of {max_bytes} bytes")
            digest.update(chunk)
            spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    if size == 0:
        spool.close()
        raise HTTPException(400, "body is empty")
    return ReceivedBody(spool, size, digest.hexdigest())
