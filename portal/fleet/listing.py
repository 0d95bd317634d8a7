"""The operator's fleet page (a page at a time, with the counts by state) and the JSON listing (limit/offset):
boxes filtered by state and a search.

At 10,000 boxes the page cannot be every row: the filter runs in SQL, and only one page's health and cameras are
read (``views.selected_rows``). The search takes words; each must match the box's id, name or address (city, street,
house), and a word like «п.2» or «п2» matches the entrance. Case: a word matches as typed, in lower or upper case
and capitalised («ленина» finds «Ленина» under any collation, SQLite's and a C-locale PostgreSQL's included).
"""

import re
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from portal.fleet.views import FleetRow, selected_rows
from portal.models import Address, Device

PAGE_SIZE = 100
STATES = ("online", "offline", "unknown")  # Device.state
MAX_QUERY = 200
_ENTRANCE = re.compile(r"^п\.?(\d{1,3})$", re.IGNORECASE)


@dataclass(frozen=True)
class FleetPage:
    rows: list[FleetRow]
    matching: int  # boxes that pass the filter, on every page
    counts: dict[str, int]  # every box by state, whatever the filter
    page: int
    pages: int

    @property
    def total(self) -> int:
        """Every box, whatever the filter."""
        return sum(self.counts.values())


def check_filter(state: str, query: str, page: int) -> None:
    """ValueError naming the field when the filter is not one the page offers."""
    if state and state not in STATES:
        raise ValueError(f"state: one of {', '.join(STATES)}, or empty for every box")
    if len(query) > MAX_QUERY:
        raise ValueError(f"q: at most {MAX_QUERY} characters")
    if page < 1:
        raise ValueError("page: from 1")


def fleet_page(db: Session, state: str = "", query: str = "", page: int = 1, size: int | None = None) -> FleetPage:
    """Page ``page`` (the last one when past it) of the boxes that pass the filter, ``size`` (PAGE_SIZE) a page."""
    check_filter(state, query, page)
    size = size or PAGE_SIZE
    matching_query = _filtered(select(Device.id), state, query)
    matching = db.scalar(select(func.count()).select_from(matching_query.subquery())) or 0
    pages = max(1, -(-matching // size))
    page = min(page, pages)
    devices = _filtered(select(Device), state, query).order_by(Device.id).offset((page - 1) * size).limit(size)
    by_state = db.execute(select(Device.state, func.count()).group_by(Device.state))
    counts = {s: 0 for s in STATES} | {s: n for s, n in by_state}
    return FleetPage(selected_rows(db, devices), matching, counts, page, pages)


def matching_rows(
    db: Session, state: str = "", query: str = "", limit: int | None = None, offset: int = 0
) -> list[FleetRow]:
    """The JSON API's listing: the boxes that pass the filter in id order, ``offset`` skipped, at most ``limit``
    (every one when None)."""
    check_filter(state, query, 1)
    selected = _filtered(select(Device), state, query).order_by(Device.id).offset(offset)
    return selected_rows(db, selected if limit is None else selected.limit(limit))


def _filtered(query: Select, state: str, text: str) -> Select:
    if state:
        query = query.where(Device.state == state)
    words = text.split()
    if words:
        query = query.outerjoin(Address, Address.id == Device.address_id)
    for word in words:
        entrance = _ENTRANCE.match(word)
        if entrance:
            query = query.where(Address.entrance == int(entrance.group(1)))
            continue
        columns = (Device.id, Device.name, Address.city, Address.street, Address.house)
        query = query.where(or_(*(column.ilike(like, escape="\\") for column in columns for like in _likes(word))))
    return query


def _likes(word: str) -> list[str]:
    """LIKE patterns for a word as typed, lower case, upper case and capitalised: ILIKE folds only Latin letters
    on SQLite and on a PostgreSQL cluster with the C locale, and «ленина» should still find «Ленина»."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    variants = dict.fromkeys((escaped, escaped.lower(), escaped.upper(), escaped.capitalize()))
    return [f"%{v}%" for v in variants]
