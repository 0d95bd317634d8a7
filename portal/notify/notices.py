"""News and important messages: targeting (everyone, a city, an address, a list of contracts), the caller's
feed with read marks, the banner's messages in force, and the fan-out of a published notice to the outbox."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, delete, exists, false, or_, select
from sqlalchemy.orm import Session

from portal.models import Address, Contract, utcnow
from portal.models.notify import Notice, NoticeContract, NoticeRead
from portal.notify.categories import KIND_CATEGORY, NOTICE_KINDS
from portal.notify.outbox import Policy, notify
from portal.notify.subscriptions import SubscriptionError as NoticeError

TARGETS = ("all", "city", "address", "contracts")


@dataclass
class Draft:
    kind: str
    title: str
    text: str = ""
    image_url: str = ""
    pinned: bool = False
    published_at: datetime | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    target_kind: str = "all"
    target_value: str = ""  # city name | address id | contract numbers, comma/space separated


def audience_query(db: Session, target_kind: str, target_value: str, notice_id: int | None = None) -> Select:
    """The ids of the active contracts a target reaches."""
    query = select(Contract.id).where(Contract.status == "active")
    if target_kind == "all":
        return query
    if target_kind == "city":
        return query.join(Address, Address.id == Contract.address_id).where(Address.city == target_value.strip())
    if target_kind == "address":
        return query.where(Contract.address_id == int(target_value))
    if notice_id is not None:
        return query.where(
            Contract.id.in_(select(NoticeContract.contract_id).where(NoticeContract.notice_id == notice_id))
        )
    numbers = [n for n in target_value.replace(",", " ").split() if n]
    return query.where(Contract.number.in_(numbers))


def validate(db: Session, draft: Draft) -> list[int]:
    """Raises NoticeError(field, reason); returns the contract ids of a `contracts` target."""
    if draft.kind not in NOTICE_KINDS:
        raise NoticeError("kind", f"one of {', '.join(NOTICE_KINDS)}")
    if not draft.title.strip() or len(draft.title) > 200:
        raise NoticeError("title", "1 to 200 characters")
    if draft.target_kind not in TARGETS:
        raise NoticeError("target_kind", f"one of {', '.join(TARGETS)}")
    if draft.starts_at and draft.ends_at and draft.ends_at <= draft.starts_at:
        raise NoticeError("ends_at", "must be after starts_at")
    if draft.image_url and not draft.image_url.startswith(("https://", "http://", "/")):
        raise NoticeError("image_url", "an http(s) URL or a path")
    if draft.target_kind == "city" and not draft.target_value.strip():
        raise NoticeError("target_value", "the city's name")
    if draft.target_kind == "address" and (
        not draft.target_value.strip().isdigit() or db.get(Address, int(draft.target_value)) is None
    ):
        raise NoticeError("target_value", "no such address id")
    if draft.target_kind == "contracts":
        numbers = {n for n in draft.target_value.replace(",", " ").split() if n}
        found = dict(db.execute(select(Contract.number, Contract.id).where(Contract.number.in_(numbers))).all())
        missing = sorted(numbers - set(found))
        if not numbers or missing:
            raise NoticeError(
                "target_value", f"unknown contracts: {', '.join(missing[:10])}" if missing else "no contracts"
            )
        return list(found.values())
    return []


def audience_size(db: Session, target_kind: str, target_value: str) -> int:
    validate(db, Draft(kind="news", title="preview", target_kind=target_kind, target_value=target_value))
    return len(db.scalars(audience_query(db, target_kind, target_value)).all())


def publish(db: Session, draft: Draft) -> Notice:
    contract_ids = validate(db, draft)
    notice = Notice(
        kind=draft.kind, title=draft.title.strip(), text=draft.text, image_url=draft.image_url, pinned=draft.pinned,
        published_at=draft.published_at or utcnow(), starts_at=draft.starts_at, ends_at=draft.ends_at,
        target_kind=draft.target_kind, target_value=draft.target_value.strip(),
    )  # fmt: skip
    db.add(notice)
    db.flush()
    for cid in contract_ids:
        db.add(NoticeContract(notice_id=notice.id, contract_id=cid))
    db.flush()
    return notice


def fan_out(db: Session, policy: Policy, notice: Notice, public_url: str, now: datetime | None = None) -> int:
    """Queue the notice for its audience's chosen channels, once (when it is published); returns rows queued."""
    now = now or utcnow()
    if notice.delivered or notice.published_at > now:
        return 0
    notice.delivered = True
    category = KIND_CATEGORY[notice.kind]
    link = f"{public_url.rstrip('/')}/notifications#n{notice.id}"
    queued = 0
    ids = db.scalars(audience_query(db, notice.target_kind, notice.target_value, notice.id)).all()
    for chunk_start in range(0, len(ids), 500):
        for contract in db.scalars(select(Contract).where(Contract.id.in_(ids[chunk_start : chunk_start + 500]))):
            rows = notify(
                db, policy, contract, category, notice.title, notice.text[:1000], link=link, notice_id=notice.id,
                urgent=notice.kind == "outage", now=now, data={"notice": notice.id},
            )  # fmt: skip
            queued += len(rows)
    return queued


def fan_out_due(db: Session, policy: Policy, public_url: str, now: datetime | None = None) -> int:
    """Notices whose publish time has come and that were not yet delivered (the worker calls this)."""
    now = now or utcnow()
    due = db.scalars(select(Notice).where(Notice.delivered.is_(False), Notice.published_at <= now)).all()
    return sum(fan_out(db, policy, n, public_url, now) for n in due)


def _reaches(contract: Contract):
    """SQL condition: the notice targets this contract."""
    city = select(Address.city).where(Address.id == contract.address_id).scalar_subquery()
    listed = exists().where(NoticeContract.notice_id == Notice.id, NoticeContract.contract_id == contract.id)
    return or_(
        Notice.target_kind == "all",
        and_(Notice.target_kind == "city", Notice.target_value == city) if contract.address_id else false(),
        and_(Notice.target_kind == "address", Notice.target_value == str(contract.address_id))
        if contract.address_id
        else false(),
        and_(Notice.target_kind == "contracts", listed),
    )


def feed(db: Session, contract: Contract, now: datetime | None = None, limit: int = 100) -> list[tuple[Notice, bool]]:
    """Everything published for the contract, pinned first then newest first, with whether it was read."""
    now = now or utcnow()
    read = exists().where(NoticeRead.notice_id == Notice.id, NoticeRead.contract_id == contract.id)
    query = (
        select(Notice, read)
        .where(_reaches(contract), Notice.published_at <= now)
        .order_by(Notice.pinned.desc(), Notice.published_at.desc(), Notice.id.desc())
        .limit(limit)
    )
    return [(n, bool(r)) for n, r in db.execute(query).all()]


def active_messages(db: Session, contract: Contract, now: datetime | None = None) -> list[Notice]:
    """Important messages in force now (the banner): not news, published, started, not ended."""
    now = now or utcnow()
    query = (
        select(Notice)
        .where(
            _reaches(contract),
            Notice.kind != "news",
            Notice.published_at <= now,
            or_(Notice.starts_at.is_(None), Notice.starts_at <= now),
            or_(Notice.ends_at.is_(None), Notice.ends_at > now),
        )
        .order_by(Notice.published_at.desc())
    )
    return list(db.scalars(query))


def unread_count(db: Session, contract: Contract, now: datetime | None = None) -> int:
    return sum(1 for _, read in feed(db, contract, now) if not read)


def mark_read(db: Session, contract: Contract, notice_id: int) -> bool:
    """False if the notice does not exist for this contract (→ 404)."""
    if not any(n.id == notice_id for n, _ in feed(db, contract)):
        return False
    if db.get(NoticeRead, (notice_id, contract.id)) is None:
        db.add(NoticeRead(notice_id=notice_id, contract_id=contract.id))
        db.flush()
    return True


def remove(db: Session, notice_id: int) -> None:
    db.execute(delete(Notice).where(Notice.id == notice_id))
