"""The `make run` demo's support content: the contacts of one city and one ticket staff already answered
(the topic tree and canned replies come from the migration)."""

from sqlalchemy.orm import Session

from portal.models import Contract, Operator
from portal.notify.outbox import Policy
from portal.support import contacts, tickets

# Seed 001's contact centre («В Новокузнецке: 8-384-375-60-00» …), under the demo's own brand.
NOVOKUZNETSK = (
    ("phone", "Круглосуточный контакт-центр", "8-384-375-60-00", "круглосуточно"),
    ("phone", "Отдел по работе с юридическими лицами", "8-384-375-64-02", "пн–пт 9:00–18:00"),
    ("phone", "Общий сотовый", "8-905-075-66-67", ""),
    ("email", "Электронная почта", "support@dozor.example", ""),
    ("office", "Офис продаж и обслуживания", "г.Новокузнецк, ул.Кирова 5", "пн–сб 9:00–19:00"),
)


def seed_demo(db: Session, contract: Contract, operator: Operator, phone: str) -> int:
    """Returns the answered ticket's id."""
    city = contacts.add_city(db, "Новокузнецк")
    for kind, label, value, hours in NOVOKUZNETSK:
        contacts.add_entry(db, city.id, kind, label, value, hours)
    ticket = tickets.open_ticket(
        db,
        None,
        kind="form",
        first_text="Камера у входа по вечерам показывает тёмное изображение. Можно ли это исправить?",
        uploads=[],
        author="subscriber",
        contract_id=contract.id,
        topic_code="quality",
        name=contract.name,
        phone=phone,
        address=contract.address.full if contract.address else "",
        cameras_online="yes",
        camera_provider="ours",
        mounting_height="mid",
        camera_supplier="ours",
    )
    tickets.staff_reply(
        db,
        None,
        Policy(),  # the demo's outbox is local: no link leaves the machine
        ticket,
        operator.id,
        "Здравствуйте! Мы включили ночной режим камеры — вечером изображение станет светлее. "
        "Если вопрос повторится, просто ответьте на это сообщение.",
        [],
    )
    return ticket.id
