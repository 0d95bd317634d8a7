"""Personal offers: the operator targets a discount on a tariff for N months, or a bonus, at contracts or at
every contract of an address; the subscriber accepts it once. A bonus is a ledger ``offer`` entry (key
``offer:{offer}:{contract}``); a discount is applied by accrual on the offer's tariff until its last day."""

import calendar
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.billing import ledger
from portal.billing.accrual import local_day
from portal.billing.money import format_roubles_ru, parse_roubles
from portal.billing.tariffs import assign, effective_date
from portal.cabinet.errors import FieldError
from portal.models import Contract, Offer, OfferAcceptance, OfferTarget, Tariff

KINDS = ("discount", "bonus")


def _int(value: object, field: str, lo: int, hi: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise FieldError(field, f"целое число от {lo} до {hi}") from None
    if not lo <= number <= hi:
        raise FieldError(field, f"целое число от {lo} до {hi}")
    return number


def create(
    db: Session,
    *,
    title: str,
    description: str,
    kind: str,
    tariff_id: object = None,
    discount_percent: object = 0,
    months: object = 0,
    bonus: str = "",
    actor: str,
) -> Offer:
    title = title.strip()
    if not title:
        raise FieldError("title", "укажите заголовок предложения")
    if kind not in KINDS:
        raise FieldError("kind", "скидка на тариф или бонус на баланс")
    offer = Offer(title=title[:200], description=description.strip()[:2000], kind=kind, created_by=actor)
    offer.discount_percent = offer.months = offer.bonus_kopecks = 0
    if kind == "discount":
        tariff = db.get(Tariff, _int(tariff_id, "tariff_id", 1, 2**31 - 1))
        if tariff is None or not tariff.active:
            raise FieldError("tariff_id", "выберите действующий тариф")
        offer.tariff_id = tariff.id
        offer.discount_percent = _int(discount_percent, "discount_percent", 1, 100)
        offer.months = _int(months, "months", 1, 36)
    else:
        offer.bonus_kopecks = parse_roubles(bonus, field="bonus")
    offer.active = True
    db.add(offer)
    db.flush()
    return offer


def target(db: Session, offer_id: int, contract_numbers: list[str], address_ids: list[int]) -> int:
    """Add targets; unknown contract numbers -> FieldError("contracts") naming them, nothing added."""
    numbers = [n.strip() for n in contract_numbers if n.strip()]
    found = dict(db.execute(select(Contract.number, Contract.id).where(Contract.number.in_(numbers))).all())
    missing = [n for n in numbers if n not in found]
    if missing:
        raise FieldError("contracts", "нет договоров " + ", ".join(missing[:10]))
    for contract_id in found.values():
        db.add(OfferTarget(offer_id=offer_id, contract_id=contract_id))
    for address_id in address_ids:
        db.add(OfferTarget(offer_id=offer_id, address_id=address_id))
    db.flush()
    return len(found) + len(address_ids)


def _targeted(db: Session, contract_id: int):
    contract = db.get(Contract, contract_id)
    conditions = [OfferTarget.contract_id == contract_id]
    if contract is not None and contract.address_id is not None:
        conditions.append(OfferTarget.address_id == contract.address_id)
    return select(OfferTarget.offer_id).where(or_(*conditions))


def for_contract(db: Session, contract_id: int) -> list[tuple[Offer, bool]]:
    """Active offers aimed at the contract (or its address), with whether it accepted them already."""
    offers = db.scalars(
        select(Offer).where(Offer.active.is_(True), Offer.id.in_(_targeted(db, contract_id))).order_by(Offer.id.desc())
    ).unique()
    accepted = set(db.scalars(select(OfferAcceptance.offer_id).where(OfferAcceptance.contract_id == contract_id)))
    return [(o, o.id in accepted) for o in offers]


def accept(db: Session, contract_id: int, offer_id: int, now: datetime) -> Offer:
    """Apply the offer once: FieldError("offer_id") when it is not for this contract or already taken."""
    offer = db.get(Offer, offer_id)
    aimed = db.scalar(_targeted(db, contract_id).where(OfferTarget.offer_id == offer_id).limit(1))
    if offer is None or not offer.active or aimed is None:
        raise FieldError("offer_id", "такого предложения для вас нет")
    account = ledger.lock_account(db, contract_id)
    try:
        with db.begin_nested():
            db.add(OfferAcceptance(offer_id=offer.id, contract_id=contract_id, accepted_at=now))
            db.flush()
    except IntegrityError:
        raise FieldError("offer_id", "это предложение уже принято") from None
    if offer.kind == "bonus":
        ledger.post(
            db,
            contract_id,
            "offer",
            offer.bonus_kopecks,
            key=f"offer:{offer.id}:{contract_id}",
            description=f"Бонус по предложению «{offer.title}»: {format_roubles_ru(offer.bonus_kopecks)}",
            actor="subscriber",
            at=now,
            ref=str(offer.id),
        )
        return offer
    today = local_day(now, account.tz)
    start = today if account.tariff_id in (None, offer.tariff_id) else effective_date(today, "next_day")
    if account.tariff_id is None:
        if offer.tariff_id is None:
            raise FieldError("offer_id", "в предложении не указан тариф")
        assign(db, contract_id, offer.tariff_id, today)
    elif account.tariff_id != offer.tariff_id:
        account.pending_tariff_id, account.pending_from = offer.tariff_id, start
    account.discount_percent, account.discount_tariff_id = offer.discount_percent, offer.tariff_id
    account.discount_until = _add_months(start, offer.months) - timedelta(days=1)
    db.flush()
    return offer


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))
