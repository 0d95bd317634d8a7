"""Per contract: which channels each category goes to. No row = the category's default (categories.DEFAULTS)."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models.notify import NotifySubscription
from portal.notify.categories import CATEGORIES, CHANNELS, DEFAULTS


class SubscriptionError(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


def settings_of(db: Session, contract_id: int) -> dict[str, list[str]]:
    chosen = {
        row.category: [c for c in row.channels.split(",") if c]
        for row in db.scalars(select(NotifySubscription).where(NotifySubscription.contract_id == contract_id))
    }
    return {cat: chosen.get(cat, list(DEFAULTS[cat])) for cat in CATEGORIES}


def channels_for(db: Session, contract_id: int, category: str) -> list[str]:
    row = db.get(NotifySubscription, (contract_id, category))
    if row is None:
        return list(DEFAULTS.get(category, ()))
    return [c for c in row.channels.split(",") if c]


def validate(categories: dict[str, list[str]]) -> dict[str, list[str]]:
    """Raises SubscriptionError naming `categories.<name>` for an unknown category or channel."""
    clean: dict[str, list[str]] = {}
    for cat, channels in categories.items():
        if cat not in CATEGORIES:
            raise SubscriptionError(f"categories.{cat}", f"unknown category; known: {', '.join(CATEGORIES)}")
        for channel in channels:
            if channel not in CHANNELS:
                raise SubscriptionError(
                    f"categories.{cat}", f"unknown channel {channel!r}; known: {', '.join(CHANNELS)}"
                )
        clean[cat] = [c for c in CHANNELS if c in channels]
    return clean


def update(db: Session, contract_id: int, categories: dict[str, list[str]]) -> dict[str, list[str]]:
    """Set the given categories (others keep theirs); validated first so bad input changes nothing."""
    for cat, channels in validate(categories).items():
        row = db.get(NotifySubscription, (contract_id, cat))
        if row is None:
            row = NotifySubscription(contract_id=contract_id, category=cat)
            db.add(row)
        row.channels = ",".join(channels)
    db.flush()
    return settings_of(db, contract_id)


def drop_channel(db: Session, contract_id: int, category: str, channel: str) -> None:
    current = channels_for(db, contract_id, category)
    update(db, contract_id, {category: [c for c in current if c != channel]})
