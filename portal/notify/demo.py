"""The `make run` demo's notification centre: two news items (one pinned) and one maintenance message in force
for the demo entrance. Its e-mail and SMS land in the local outbox (the console's «Исходящие»)."""

from datetime import timedelta

from sqlalchemy.orm import Session

from portal.models import utcnow
from portal.notify import notices
from portal.notify.outbox import Policy


def seed_demo(db: Session, address_id: int) -> list[int]:
    now = utcnow()
    drafts = [
        notices.Draft("news", "Архив теперь хранится 7 дней",
                      "Записи камер вашего подъезда доступны в разделе «Камеры» за всю последнюю неделю.",
                      published_at=now - timedelta(days=2)),
        notices.Draft("news", "Приложение «Дозор» для телефона",
                      "Смотрите камеры и получайте уведомления об открытии двери прямо на телефоне.",
                      pinned=True, published_at=now - timedelta(days=1)),
        notices.Draft("maintenance", "Профилактические работы на сети",
                      "Сегодня с 01:00 до 03:00 возможны перерывы в показе камер. Запись в архив не прерывается.",
                      published_at=now - timedelta(hours=1), starts_at=now - timedelta(hours=1),
                      ends_at=now + timedelta(days=2), target_kind="address", target_value=str(address_id)),
    ]  # fmt: skip
    ids = []
    for draft in drafts:
        notice = notices.publish(db, draft)
        notices.fan_out(db, Policy(), notice, Policy().public_url)
        ids.append(notice.id)
    return ids
