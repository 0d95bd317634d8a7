"""Jinja filters: sizes, times and states in Russian."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

STATE_LABELS = {
    "recording": "идёт запись",
    "starting": "запуск",
    "down": "нет связи",
    "stopped": "остановлена",
    "disabled": "отключена",
    "backoff": "ожидание повтора",
}


def size(value: Any) -> str:
    if not isinstance(value, int | float):
        return "—"
    number = float(value)
    for unit in ("Б", "КБ", "МБ", "ГБ", "ТБ"):
        if abs(number) < 1000 or unit == "ТБ":
            return f"{number:.0f} {unit}" if unit == "Б" else f"{number:.1f} {unit}"
        number /= 1000
    return f"{number:.1f} ТБ"


def unix_time(value: Any) -> str:
    if not isinstance(value, int | float):
        return "—"
    return time.strftime("%d.%m.%Y %H:%M:%S", time.localtime(value))


def instant(value: Any) -> str:
    """An RFC 3339 string or an aware datetime (what the box's status holds, in UTC) in the box's local time, as
    ``unix_time`` shows it; text that is not a time is shown as it is."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value or "—"
    if not isinstance(value, datetime):
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return unix_time(value.timestamp())


def camera_state(value: Any) -> str:
    return STATE_LABELS.get(str(value), str(value))


FILTERS = {"size": size, "unix_time": unix_time, "instant": instant, "camera_state": camera_state}
