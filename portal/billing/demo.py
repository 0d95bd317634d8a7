"""Demo data for `make run`: three tariffs, the demo subscriber on «Стандарт» for three months with monthly
payments and the daily charges accrual really posted day by day, a positive balance, and an offer."""

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from portal.billing import accrual, ledger, offers, retention, tariffs
from portal.db import Database
from portal.models import Contract, Tariff

CATALOGUE = (
    ("Эконом", 15000, 7, "Архив за неделю — для подъездных камер"),
    ("Стандарт", 25000, 14, "Архив за две недели"),
    ("Максимум", 45000, 30, "Архив за месяц: успеете найти всё"),
)
HISTORY_DAYS = 92


def seed(db: Database, contract_number: str, now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    with db.session() as s:
        if s.scalar(select(Tariff.id).limit(1)) is not None:
            return  # seeded already
        ids = {}
        for name, price, days, description in CATALOGUE:
            tariff = Tariff(name=name, monthly_price_kopecks=price, archive_days=days, description=description)
            s.add(tariff)
            s.flush()
            ids[name] = tariff.id
        contract = s.scalar(select(Contract).where(Contract.number == contract_number))
        if contract is None:
            raise LookupError(f"no contract {contract_number}")
        contract_id, tz = contract.id, contract.tz
        today = accrual.local_day(now, tz)
        start = today - timedelta(days=HISTORY_DAYS)
        tariffs.assign(s, contract_id, ids["Стандарт"], start)
    zone = accrual.zone(tz)
    day = start
    while day <= today:  # the job as it would have run each morning
        moment = min(datetime.combine(day, time(9, 0), tzinfo=zone).astimezone(UTC), now)
        if day.day == 1 or day == start:
            with db.session() as s:
                ledger.post(
                    s, contract_id, "payment", 30000, key=f"demo:payment:{day.isoformat()}",
                    description="Оплата банковской картой", actor="subscriber", at=moment,
                )  # fmt: skip
        accrual.run(db, moment)
        day += timedelta(days=1)
    with db.session() as s:
        offer = offers.create(
            s, title="Спасибо, что вы с нами", description="Бонус на баланс к новому году", kind="bonus",
            bonus="100", actor="demo",
        )  # fmt: skip
        offers.target(s, offer.id, [contract_number], [])
        retention.refresh(s)
