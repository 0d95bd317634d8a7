"""Jinja filters: sizes, times and states in Russian."""

from __future__ import annotations

import time
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


def camera_state(value: Any) -> str:
    return STATE_LABELS.get(str(value), str(value))


FILTERS = {"size": size, "unix_time": unix_time, "camera_state": camera_state}
