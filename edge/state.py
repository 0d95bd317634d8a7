"""Small durable state in TinyDB (cameras as last configured, identity, sync cursors), written atomically.

TinyDB's default JSONStorage rewrites the file in place: a power cut mid-write leaves a truncated JSON that
TinyDB cannot open. AtomicJSONStorage writes a temp file, fsyncs it, renames it over, and fsyncs the dir.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.storages import Storage

from cloud_sync.durable import write_atomic


class AtomicJSONStorage(Storage):
    def __init__(self, path: str | Path, **_: Any) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def read(self) -> dict[str, Any] | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        if not text.strip():
            return None
        return json.loads(text)

    def write(self, data: dict[str, Any]) -> None:
        write_atomic(self.path, json.dumps(data, separators=(",", ":"), default=str))

    def close(self) -> None:
        pass


def open_state(path: str | Path) -> TinyDB:
    return TinyDB(path, storage=AtomicJSONStorage)
