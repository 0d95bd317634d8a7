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


# hw-tests' checks (hw-tests/test_hw_*.py) as the technician reads them; a check missing here shows its test name.
CHECK_TITLES = {
    "test_camera_reachable_and_decodable": "Камера отвечает, её видео декодируется",
    "test_clock_synchronised": "Часы синхронизированы (NTP)",
    "test_free_space_above_reserve": "Свободное место на диске больше резерва",
    "test_write_speed": "Скорость записи на диск",
    "test_led_pin_drives": "Индикатор (LED) управляется",
    "test_service_button_idle_and_press": "Сервисная кнопка: отпущена и нажимается",
    "test_tamper_switch_reads_closed_lid": "Датчик вскрытия: крышка закрыта",
    "test_camera_power_relays_switch_off_and_on": "Реле питания камер: выключают и включают",
    "test_door_relays_pulse": "Реле двери срабатывает",
    "test_pi_camera_captures_a_frame": "Камера Raspberry Pi снимает кадр",
    "test_throttle_flags_decode": "Флаги питания/перегрева читаются",
    "test_cpu_temperature": "Температура процессора",
    "test_not_throttled_now": "Нет просадки питания и троттлинга",
}
OUTCOME_LABELS = {"passed": "пройдена", "failed": "ошибка", "error": "сбой проверки", "skipped": "пропущена"}


def check_title(name: Any) -> str:
    """``test_hw_cameras::test_camera_reachable_and_decodable[cam-1]`` -> «Камера отвечает, …: cam-1»."""
    function = str(name).rsplit("::", 1)[-1]
    base, _, param = function.partition("[")
    title = CHECK_TITLES.get(base, base)
    return f"{title}: {param.rstrip(']')}" if param else title


def outcome(value: Any) -> str:
    return OUTCOME_LABELS.get(str(value), str(value))


def camera_state(value: Any) -> str:
    return STATE_LABELS.get(str(value), str(value))


FILTERS = {
    "size": size,
    "unix_time": unix_time,
    "instant": instant,
    "camera_state": camera_state,
    "check_title": check_title,
    "outcome": outcome,
}
