"""Contact-centre numbers and offices per city (the contacts page), edited in the console."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models.support import ContactCity, ContactEntry
from portal.support.errors import SupportError

KINDS = {"phone": "Телефон", "office": "Офис", "email": "Почта"}


def cities(db: Session) -> list[tuple[ContactCity, list[ContactEntry]]]:
    rows = list(db.scalars(select(ContactCity).order_by(ContactCity.position, ContactCity.city)))
    entries = list(db.scalars(select(ContactEntry).order_by(ContactEntry.position, ContactEntry.id)))
    return [(city, [e for e in entries if e.city_id == city.id]) for city in rows]


def as_json(db: Session) -> list[dict]:
    result = []
    for city, entries in cities(db):
        item: dict = {"city": city.city, "phones": [], "offices": [], "emails": []}
        for e in entries:
            item[e.kind + "s"].append({"label": e.label, "value": e.value, "hours": e.hours})
        result.append(item)
    return result


def add_city(db: Session, name: str) -> ContactCity:
    name = name.strip()
    if not name or len(name) > 100:
        raise SupportError("city", "название города от 1 до 100 символов")
    found = db.scalar(select(ContactCity).where(ContactCity.city == name))
    if found:
        return found
    city = ContactCity(city=name, position=len(cities(db)))
    db.add(city)
    db.flush()
    return city


def add_entry(db: Session, city_id: int, kind: str, label: str, value: str, hours: str = "") -> ContactEntry:
    if db.get(ContactCity, city_id) is None:
        raise SupportError("city_id", "нет такого города", 404)
    if kind not in KINDS:
        raise SupportError("kind", "телефон, офис или почта")
    value = value.strip()
    if not value or len(value) > 300:
        raise SupportError("value", "значение от 1 до 300 символов")
    entry = ContactEntry(city_id=city_id, kind=kind, label=label.strip()[:200], value=value, hours=hours.strip()[:100])
    db.add(entry)
    db.flush()
    return entry


def delete_entry(db: Session, entry_id: int) -> None:
    entry = db.get(ContactEntry, entry_id)
    if entry is None:
        raise SupportError("entry_id", "нет такой записи", 404)
    db.delete(entry)


def delete_city(db: Session, city_id: int) -> None:
    city = db.get(ContactCity, city_id)
    if city is None:
        raise SupportError("city_id", "нет такого города", 404)
    db.delete(city)
