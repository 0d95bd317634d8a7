"""Share links: one clip (camera + range) a subscriber hands to someone without an account (police, a neighbour).

- The link carries a 256-bit token; only its SHA-256 is stored, so the link is shown once, when it is made.
- It opens that clip and nothing else: no timeline, no other range, no live view, no account.
- It works without login until ``expires_at`` (at most ``MAX_TTL``), and stops at once when revoked, when the
  sharer's contract may no longer watch video (suspended, closed) or no longer sees the camera.
- Every request made with it (page, file, each byte range) is logged with IP and user agent, refused ones too;
  the sharer can read that log.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.access import can_view_media
from portal.archive.progressive import MAX_FILE_SECONDS
from portal.auth.passwords import new_token, token_hash
from portal.auth.sessions import Principal
from portal.billing.gate import ServiceSuspended
from portal.models import Camera
from portal.models.shares import ClipShare, ClipShareAccess

MIN_TTL = timedelta(minutes=5)
MAX_TTL = timedelta(days=30)
DEFAULT_TTL = timedelta(days=3)
MAX_NOTE = 200


class ShareRefused(Exception):
    """The link cannot be used (``status`` 404 unknown, 410 expired/revoked/no longer allowed); ``reason``
    is what the access log records."""

    def __init__(self, status: int, reason: str, message: str, share: ClipShare | None = None) -> None:
        super().__init__(message)
        self.status, self.reason, self.message, self.share = status, reason, message, share


@dataclass(frozen=True)
class Shared:
    """A usable link: the share and its camera."""

    share: ClipShare
    camera: Camera


def check_ttl(ttl: timedelta) -> None:
    if not MIN_TTL <= ttl <= MAX_TTL:
        raise ValueError(f"expires_in_hours: must be between {MIN_TTL / timedelta(hours=1):g} and {MAX_TTL.days * 24}")


def check_duration(seconds: float) -> None:
    """A link serves one progressive MP4 (portal.archive.progressive.MAX_FILE_SECONDS)."""
    if seconds > MAX_FILE_SECONDS:
        raise ValueError(
            f"duration: a shared clip is one MP4 file, at most {MAX_FILE_SECONDS} seconds (24 hours); share a longer "
            "range as several links"
        )


def create_share(
    db: Session, camera: Camera, contract_id: int, start: datetime, end: datetime, ttl: timedelta, note: str,
    now: datetime,
) -> tuple[ClipShare, str]:  # fmt: skip
    """A new link to [start, end) of ``camera``; returns the row and the token (never stored)."""
    check_ttl(ttl)
    check_duration((end - start).total_seconds())
    if len(note) > MAX_NOTE:
        raise ValueError(f"note: at most {MAX_NOTE} characters")
    token = new_token()
    share = ClipShare(
        token_hash=token_hash(token),
        camera_id=camera.id,
        contract_id=contract_id,
        start=start,
        end=end,
        note=note,
        expires_at=now + ttl,
        created_at=now,
    )
    db.add(share)
    db.flush()
    return share, token


def open_share(db: Session, token: str, now: datetime) -> Shared:
    """The share behind a token if it may be used now; ShareRefused otherwise (log it with ``log_access``)."""
    share = db.scalar(select(ClipShare).where(ClipShare.token_hash == token_hash(token)))
    if share is None:
        raise ShareRefused(404, "unknown", "Ссылка не найдена: проверьте, что она скопирована целиком.")
    if share.revoked_at is not None:
        raise ShareRefused(410, "revoked", "Ссылку отозвал тот, кто ею поделился.", share)
    if share.expires_at <= now:
        raise ShareRefused(410, "expired", "Срок действия ссылки истёк.", share)
    try:  # the sharer's own right to watch this camera, asked now
        camera = can_view_media(db, Principal(session_id=0, contract_id=share.contract_id), share.camera_id)
    except ServiceSuspended:
        camera = None
    if camera is None:
        raise ShareRefused(410, "not_allowed", "Видео по этой ссылке больше недоступно.", share)
    return Shared(share, camera)


def log_access(
    db: Session, share: ClipShare, what: str, outcome: str, ip: str, user_agent: str, byte_range: str, now: datetime
) -> None:
    db.add(
        ClipShareAccess(
            share_id=share.id,
            at=now,
            what=what,
            outcome=outcome,
            ip=ip[:64],
            user_agent=user_agent[:300],
            byte_range=byte_range[:64],
        )
    )


def shares_of(db: Session, contract_id: int) -> list[tuple[ClipShare, int]]:
    """The contract's links, newest first, each with how many times it was used."""
    used = (
        select(ClipShareAccess.share_id, func.count().label("n"))
        .where(ClipShareAccess.outcome == "served")
        .group_by(ClipShareAccess.share_id)
        .subquery()
    )
    rows = db.execute(
        select(ClipShare, func.coalesce(used.c.n, 0))
        .outerjoin(used, used.c.share_id == ClipShare.id)
        .where(ClipShare.contract_id == contract_id)
        .order_by(ClipShare.created_at.desc(), ClipShare.id.desc())
    ).all()
    return [(share, int(n)) for share, n in rows]


def own_share(db: Session, contract_id: int, share_id: int) -> ClipShare | None:
    share = db.get(ClipShare, share_id)
    return share if share is not None and share.contract_id == contract_id else None


def revoke(share: ClipShare, now: datetime) -> None:
    if share.revoked_at is None:
        share.revoked_at = now


def accesses(db: Session, share_id: int, limit: int = 500) -> list[ClipShareAccess]:
    return list(
        db.scalars(
            select(ClipShareAccess)
            .where(ClipShareAccess.share_id == share_id)
            .order_by(ClipShareAccess.at.desc(), ClipShareAccess.id.desc())
            .limit(limit)
        )
    )
