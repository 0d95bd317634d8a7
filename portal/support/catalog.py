"""The form's choices: topics (from the DB, edited by operators) and the seed's fixed checkbox lists."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models.support import SupportTopic
from portal.support.errors import SupportError

# The seed's «установите флажок» fields: code -> label.
PROVIDERS = {"ours": "Наш интернет (Дозор)", "other": "Другой провайдер", "unknown": "Не знаю"}
ONLINE = {"yes": "Да, есть", "no": "Нет", "unknown": "Не знаю"}
HEIGHTS = {"low": "До 3 м", "mid": "От 3 до 6 м", "high": "Выше 6 м", "unknown": "Не знаю"}
SUPPLIERS = {"ours": "Куплены у нас", "other": "Другой поставщик", "unknown": "Не знаю"}
CHOICES = {
    "camera_provider": PROVIDERS,
    "cameras_online": ONLINE,
    "mounting_height": HEIGHTS,
    "camera_supplier": SUPPLIERS,
}
STATUSES = {
    "new": "Новое",
    "open": "В работе",
    "waiting": "Ждём ответа абонента",
    "resolved": "Решено",
    "closed": "Закрыто",
}
KINDS = {
    "form": "Форма",
    "bot": "Чат-бот",
    "chat": "Онлайн-чат",
    "callback": "Обратный звонок",
    "feedback": "Обратная связь",
    "connect": "Подключение",
}


def topics(db: Session) -> list[SupportTopic]:
    return list(db.scalars(select(SupportTopic).order_by(SupportTopic.position, SupportTopic.id)))


def topic_by_code(db: Session, code: str) -> SupportTopic | None:
    return db.scalar(select(SupportTopic).where(SupportTopic.code == code))


def topic_titles(db: Session) -> dict[str, str]:
    return {t.code: t.title for t in topics(db)}


def check_choice(field: str, value: str, required: bool = False) -> str:
    value = (value or "").strip()
    if not value and not required:
        return ""
    if value not in CHOICES[field]:
        raise SupportError(field, f"выберите одно из: {', '.join(CHOICES[field])}")
    return value


def upsert_topic(db: Session, code: str, title: str, minutes: int) -> SupportTopic:
    code, title = code.strip(), title.strip()
    if not code or len(code) > 32 or not code.replace("_", "").isalnum():
        raise SupportError("code", "код темы — латинские буквы, цифры и _ (до 32 символов)")
    if not title:
        raise SupportError("title", "название темы не может быть пустым")
    if not 1 <= minutes <= 60 * 24 * 30:
        raise SupportError("first_response_minutes", "от 1 минуты до 30 дней")
    topic = topic_by_code(db, code) or SupportTopic(code=code, position=len(topics(db)))
    topic.title, topic.first_response_minutes = title[:200], minutes
    db.add(topic)
    db.flush()
    return topic
