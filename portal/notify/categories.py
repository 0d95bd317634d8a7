"""Categories a subscriber can route, the channels, and the defaults for a contract that never chose."""

CHANNELS = ("email", "sms", "push")  # the cabinet always shows everything: it is not a channel to choose
CATEGORIES = {
    "news": "Новости",
    "maintenance": "Профилактика и аварии",
    "billing": "Оплата и тарифы",
    "support": "Ответы поддержки",
    "door": "Открытие двери",
    "camera_offline": "Камера не в сети",
    "motion": "Движение в кадре",
}
DEFAULTS: dict[str, tuple[str, ...]] = {
    "news": ("email",),
    "maintenance": ("email", "sms", "push"),
    "billing": ("email", "sms"),
    "support": ("email", "sms", "push"),
    "door": ("push",),
    "camera_offline": ("push", "email"),
    "motion": (),
}
# Urgent categories ignore quiet hours: a reply the subscriber waits for, a door opening right now.
URGENT = frozenset({"support", "door"})
# An important message's kind → the category its deliveries are routed by.
KIND_CATEGORY = {"news": "news", "maintenance": "maintenance", "outage": "maintenance", "tariff": "billing"}
NOTICE_KINDS = tuple(KIND_CATEGORY)
