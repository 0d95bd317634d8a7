"""Translations: the unguessable, short-lived video URLs GetTranslationURL hands out.

Lifecycle: new (issued) -> activated (first fetch of its URL) -> closed (op=stop, StopTranslation, Logout,
no first fetch within ``forpost_translation_timeout``, or no fetch for ``forpost_translation_idle``).
A JPG translation is one image: it closes as soon as its image is delivered ("delivered"), so a grid of
tiles refreshed forever never holds a slot; JPGs still waiting for their fetch count against their own limit
(``forpost_jpg_limit``), streams (HLS, H264) against ``forpost_translation_limit``.
Timeouts are applied lazily by ``sweep`` with plain conditional UPDATEs, so any number of workers may run it.

A translation belongs to the login session that asked for it (the app's Forpost session, or the session behind
a GetEmbedClient URL) and is re-authorised on every fetch: when that session has ended (logout, revocation,
password reset), the contract may no longer view media, or it no longer sees the camera, the translation
closes (reason "revoked") and its URL answers 410 from the next request on.
"""

from datetime import datetime, timedelta
from typing import Any, cast
from urllib.parse import urlsplit

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from portal.access import can_view_media
from portal.auth.passwords import new_token, token_hash
from portal.auth.sessions import live_session
from portal.config import PortalSettings
from portal.forpost import errors
from portal.models import Camera, Contract, utcnow
from portal.models.forpost import Translation

PREFIX = "/translations"
FILES = {"HLS": "index.m3u8", "JPG": "snapshot.jpg", "H264": "stream.flv"}
DEFAULT_FORMAT = "H264"  # the spec's default when Format is absent: HTTP-FLV
OPEN = ("new", "activated")
STREAMS = ("HLS", "H264")


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
    session_id: int,
    camera: Camera,
    fmt: str,
    start_at: datetime | None,
    tz_offset: int,
    light: bool,
    now: datetime | None = None,
) -> str:
    """Issue a translation and return its URL; ErrorCode 1 when the account's limit is reached."""
    now = now or utcnow()
    who = live_session(db, session_id, now)
    if who is None or who.contract_id != contract_id or can_view_media(db, who, camera.id) is None:
        raise errors.forbidden("Нет прав на камеру")  # e.g. the contract may not watch now (may_view_media)
    # The contract row lock makes count-then-insert atomic across workers (a no-op on SQLite, whose
    # writers are serialised anyway).
    db.execute(select(Contract.id).where(Contract.id == contract_id).with_for_update())
    sweep(db, settings, now)
    kinds = ("JPG",) if fmt == "JPG" else STREAMS
    limit = settings.forpost_jpg_limit if fmt == "JPG" else settings.forpost_translation_limit
    open_count = db.execute(
        select(func.count())
        .select_from(Translation)
        .where(Translation.contract_id == contract_id, Translation.state.in_(OPEN), Translation.format.in_(kinds))
    ).scalar_one()
    if open_count >= limit:
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
    if not _still_allowed(db, row, now):
        raise TranslationClosed()
    if row.state == "new":
        row.state, row.activated_at = "activated", now
    row.last_access = now
    return row


def still_open(db: Session, translation_id: int, now: datetime | None = None) -> bool:
    """For long streams: re-read the state and the right to watch, so op=stop from another request, a logout
    or a lost camera ends the stream."""
    row = db.get(Translation, translation_id)
    if row is None:
        return False
    return row.state in OPEN and _still_allowed(db, row, now or utcnow())


def _still_allowed(db: Session, row: Translation, now: datetime) -> bool:
    """Is the translation's session live, and may its contract still watch this camera? Closes it if not."""
    who = live_session(db, row.login_session_id, now) if row.login_session_id is not None else None
    if who is not None and who.contract_id == row.contract_id and can_view_media(db, who, row.camera_id):
        return True
    row.state, row.closed_at, row.close_reason = "closed", now, "revoked"
    return False


def delivered(db: Session, translation_id: int, now: datetime | None = None) -> None:
    """A JPG translation's image has been served (or there was none to serve): it is complete."""
    db.execute(
        update(Translation)
        .where(Translation.id == translation_id, Translation.state.in_(OPEN))
        .values(state="closed", closed_at=now or utcnow(), close_reason="delivered")
    )


def keep_main(db: Session, translation_id: int) -> None:
    """The light relay did not start in time: this translation plays the main stream from now on."""
    db.execute(update(Translation).where(Translation.id == translation_id).values(light=False))


def touch(db: Session, translation_id: int, now: datetime | None = None) -> None:
    db.execute(update(Translation).where(Translation.id == translation_id).values(last_access=now or utcnow()))


def stop(db: Session, token: str, contract_id: int | None = None, now: datetime | None = None) -> bool:
    """Close a translation; with contract_id, only one of that account. False when nothing was open."""
    query = update(Translation).where(Translation.token_hash == token_hash(token), Translation.state.in_(OPEN))
    if contract_id is not None:
        query = query.where(Translation.contract_id == contract_id)
    result = db.execute(query.values(state="closed", closed_at=now or utcnow(), close_reason="stop"))
    return cast(CursorResult[Any], result).rowcount > 0  # an UPDATE's result is a cursor result


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
