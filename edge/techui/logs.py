"""The box log for the logs page: a tail to read on a phone, and the whole file to download."""

from __future__ import annotations

from collections import deque
from pathlib import Path

MAX_TAIL = 2000


def tail(path: Path, lines: int = 200) -> list[str]:
    """The last `lines` lines (capped), or an explanation when there is no log file yet."""
    lines = max(1, min(lines, MAX_TAIL))
    try:
        with path.open("r", encoding="utf-8", errors="replace") as handle:
            return [line.rstrip("\n") for line in deque(handle, maxlen=lines)]
    except FileNotFoundError:
        return [f"(журнала {path} ещё нет)"]
    except OSError as exc:
        return [f"(журнал {path} не читается: {exc.strerror})"]
