"""Translations: the unguessable, short-lived video URLs GetTranslationURL hands out.

Lifecycle: new (issued) -> activated (first fetch of its URL) -> closed (op=stop, StopTranslation, Logout,
no first fetch within ``forpost_translation_timeout``, or no fetch for ``forpost_translation_idle``).
Timeouts are applied lazily by ``sweep`` with plain conditional UPDATEs, so any number of workers may run it.
"""

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from portal.auth.passwords import new_token, token_hash
from portal.config import PortalSettings
from portal.forpost import errors
from portal.models import Camera, Contract, utcnow
from portal.models.forpost import Translation

PREFIX = "/translations"
FILES = {"HLS": "index.m3u8", "JPG": "snapshot.jpg", "H264": "stream.flv"}
OPEN = ("new", "activated")


class TranslationClosed(Exception):
    """The URL's translation does not exist or is closed."""


def sweep(db: Session, settings: PortalSettings, now: datetime) -> None:
    """Close translations nobody fetched in time, and those left idle."""
    never_used = now - timedelta(seconds=settings.forpost_translation_timeout)
    idle = now - timedelta(seconds=settings.forpost_translation_idle)
    db.execute(
        update(Translation)
        .where(Translation.state == "new", Translation.created_at <= never_used)
        .values(state="closed", closed_at=now, close_reason="timeout")
    )
    db.execute(
        update(Translation)
        .where(Translation.state == "activated", Translation.last_access <= idle)
        .values(state="closed", closed_at=now, close_reason="idle")
    )


def open_translation(
    db: Session,
    settings: PortalSettings,
    *,
    contract_id: int,
    session_id: int | None,
    camera: Camera,
    fmt: str,
    start_at: datetime | None,
    tz_offset: int,
    light: bool,
    now: datetime | None = None,
) -> str:
    """Issue a translation and return its URL; ErrorCode 1 when the account's limit is reached."""
    now = now or utcnow()
    # The contract row lock makes count-then-insert atomic across workers (a no-op on SQLite, whose
    # writers are serialised anyway).
    db.execute(select(Contract.id).where(Contract.id == contract_id).with_for_update())
    sweep(db, settings, now)
    open_count = db.scalar(
        select(func.count())
        .select_from(Translation)
        .where(Translation.contract_id == contract_id, Translation.state.in_(OPEN))
    )
    if open_count >= settings.forpost_translation_limit:
        raise errors.ForpostError(errors.UNKNOWN, errors.TRANSLATION_LIMIT)
    token = new_token()
    db.add(
        Translation(
            token_hash=token_hash(token),
            contract_id=contract_id,
            login_session_id=session_id,
            camera_id=camera.id,
            format=fmt,
            start_at=start_at,
            tz_offset=tz_offset,
            light=light,
            state="new",
            created_at=now,
        )
    )
    db.flush()
    return f"{settings.public_url.rstrip('/')}{PREFIX}/{token}/{FILES[fmt]}"


def use(db: Session, settings: PortalSettings, token: str, fmt: str, now: datetime | None = None) -> Translation:
    """The open translation behind a URL, activated on first use; TranslationClosed otherwise."""
    now = now or utcnow()
    sweep(db, settings, now)
    row = db.scalar(select(Translation).where(Translation.token_hash == token_hash(token)))
    if row is None or row.state == "closed" or row.format != fmt:
        raise TranslationClosed()
    if row.state == "new":
        row.state, row.activated_at = "activated", now
    row.last_access = now
    return row


def still_open(db: Session, translation_id: int) -> bool:
    """For long streams: re-read the state so op=stop from another request ends the stream."""
    return db.scalar(select(Translation.state).where(Translation.id == translation_id)) in OPEN


def touch(db: Session, translation_id: int, now: datetime | None = None) -> None:
    db.execute(update(Translation).where(Translation.id == translation_id).values(last_access=now or utcnow()))


def stop(db: Session, token: str, contract_id: int | None = None, now: datetime | None = None) -> bool:
    """Close a translation; with contract_id, only one of that account. False when nothing was open."""
    query = update(Translation).where(Translation.token_hash == token_hash(token), Translation.state.in_(OPEN))
    if contract_id is not None:
        query = query.where(Translation.contract_id == contract_id)
    result = db.execute(query.values(state="closed", closed_at=now or utcnow(), close_reason="stop"))
    return result.rowcount > 0


def token_from_url(url: str) -> str | None:
    """The token in a URL we issued: .../translations/{token}/{file}."""
    try:
        path = urlsplit(url).path
    except ValueError:  # "http://[x": not a URL at all
        return None
    parts = [p for p in path.split("/") if p]
    name = PREFIX.strip("/")
    if name in parts[:-1]:
        return parts[parts.index(name) + 1]
    return None


def exists(db: Session, token: str) -> bool:
    return db.scalar(select(Translation.id).where(Translation.token_hash == token_hash(token))) is not None
