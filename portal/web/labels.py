"""Russian labels for the state words the system stores in English (camera and box states, outbox statuses).

The stored values stay English (they are wire and database values); pages show them through the ``ru``
filter: ``{{ camera.state|ru("camera") }}``. An unknown value is shown as it is rather than hidden.
"""

LABELS: dict[str, dict[str, str]] = {
    "camera": {
        "recording": "идёт запись",
        "down": "нет связи",
        "unknown": "нет данных",
        "starting": "запуск",
        "stopped": "остановлена",
        "backoff": "ожидание повтора",
        "disabled": "отключена",
    },
    "device": {"online": "в сети", "offline": "не в сети", "unknown": "нет данных"},
    "channel": {"sms": "SMS", "email": "письмо"},
    "outbox_status": {"outbox": "в очереди (без шлюза)", "sent": "отправлено", "failed": "ошибка отправки"},
    "purpose": {
        "recovery": "восстановление пароля",
        "contact": "подтверждение контакта",
        "forpost_remember": "напоминание логина (приложение)",
    },
}


def ru(value: object, kind: str) -> str:
    text = "" if value is None else str(value)
    return LABELS.get(kind, {}).get(text, text)
