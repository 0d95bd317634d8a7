"""Russian labels for the state words the system stores in English (camera and box states, outbox statuses).

The stored values stay English (they are wire and database values); pages show them through the ``ru``
filter: ``{{ camera.state|ru("camera") }}``. An unknown value is shown as it is rather than hidden.
"""

from portal.notify.categories import CATEGORIES

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
    # A camera's motion detector as its box reports it (edge/motion/worker.py MotionWorker.state).
    "motion": {
        "starting": "запуск",
        "watching": "следит",
        "retrying": "переподключение",
        "failed": "не работает",
        "stopped": "остановлен",
    },
    "device": {"online": "в сети", "offline": "не в сети", "unknown": "нет данных"},
    # A box's events (cloud_sync.messages.EventType) and its commands' outcome (portal/fleet/commands.py, state.py).
    "event": {
        "camera_up": "камера на связи",
        "camera_down": "камера пропала",
        "gap": "пропуск записи",
        "tamper": "вскрытие корпуса",
        "disk_full": "диск заполнен",
        "button": "кнопка",
        "power_cycle": "перезапуск питания камеры",
        "ota": "обновление",
    },
    "command_status": {
        "sent": "отправлена",
        "done": "выполнена",
        "failed": "ошибка",
        "expired": "истёк срок",
        "interrupted": "прервана",
    },
    # OTA (portal/ota): a rollout's state and each box's stage in it.
    "rollout": {"running": "идёт", "paused": "пауза", "done": "завершена"},
    "ota": {
        "pending": "ждёт своей волны",
        "offered": "предложено",
        "downloading": "загрузка",
        "installing": "установка",
        "switching": "переключение",
        "healthy": "обновлено",
        "rolled_back": "откат",
        "refused": "отказ",
        "failed": "ошибка",
        "already": "уже стоит",
    },
    "channel": {"sms": "SMS", "email": "письмо", "push": "push"},
    # The notification centre's one outbox (portal/notify): a row's status, and its category, which for the
    # messages outside the subscription categories says what they are for.
    "notify_status": {"queued": "в очереди", "sending": "отправляется", "sent": "отправлено", "failed": "ошибка"},
    "category": {
        **CATEGORIES,
        "recovery": "восстановление пароля",
        "step_up": "подтверждение входа",
        "contact": "подтверждение контакта",
        "forpost_remember": "напоминание логина (приложение)",
    },
}


def ru(value: object, kind: str) -> str:
    text = "" if value is None else str(value)
    return LABELS.get(kind, {}).get(text, text)
