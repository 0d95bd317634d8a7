"""GetDownloadURL: an unguessable URL of one MP4 clip that answers "not ready" until the clip can be served.

Clients poll the URL (SmartYard-Server: a HEAD/GET every 2 s until the status line says 200). The URL belongs
to the login session that asked for it (an app's session, or the System API's session acting for a subscriber)
and is re-authorised on every fetch, like a translation. It lives ``forpost_download_ttl`` seconds.

The clip is the cabinet's progressive MP4 (portal.archive.progressive: size known up front, Range and resume);
``clip_source`` is the one place that decides when the range can be served.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.access import can_view_media
from portal.archive.downloads import ClipRefused, Fetching, FilePlan, plan_file
from portal.archive.progressive import CodecChanged, Layout
from portal.archive.segments import newest_segments
from portal.archive.storage import storage_of
from portal.auth.passwords import new_token, token_hash
from portal.auth.sessions import live_session
from portal.billing.gate import visible_depth_days
from portal.models import Camera, Contract, utcnow
from portal.models.forpost_system import ForpostDownload
from portal.services import Services

PREFIX = "/forpost/downloads"
UPLOAD_GRACE = timedelta(seconds=120)  # a just-ended range may still be on its way from the box


class NotReady(Exception):
    """The clip cannot be served yet; the message says why."""


class DownloadGone(Exception):
    """Unknown or expired URL, or its session may no longer watch the camera."""


@dataclass(frozen=True)
class Ready:
    plan: FilePlan
    file: Layout  # the progressive MP4 (size known, Range), as the cabinet's download serves it


def issue(
    db: Session, services: Services, *, contract_id: int, session_id: int, camera: Camera, start: datetime, minutes: int
) -> str:
    token = new_token()
    now = utcnow()
    db.add(
        ForpostDownload(
            token_hash=token_hash(token),
            contract_id=contract_id,
            login_session_id=session_id,
            camera_id=camera.id,
            start_at=start,
            duration=minutes * 60,
            created_at=now,
            expires_at=now + timedelta(seconds=services.settings.forpost_download_ttl),
        )
    )
    db.flush()
    return f"{services.settings.public_url.rstrip('/')}{PREFIX}/{token}/clip.mp4"


def resolve(db: Session, services: Services, token: str, now: datetime | None = None) -> Ready:
    """The clip behind a URL, ready to stream; NotReady, DownloadGone or ClipRefused otherwise."""
    now = now or utcnow()
    row = db.scalar(select(ForpostDownload).where(ForpostDownload.token_hash == token_hash(token)))
    if row is None or row.expires_at <= now or row.login_session_id is None:
        raise DownloadGone()
    who = live_session(db, row.login_session_id, now)
    camera = can_view_media(db, who, row.camera_id) if who is not None and who.contract_id == row.contract_id else None
    if camera is None:
        raise DownloadGone()
    try:
        plan = clip_source(db, services, camera, row.contract_id, row.start_at, row.duration, now)
    except CodecChanged as exc:
        raise ClipRefused(409, str(exc)) from None
    return Ready(plan, plan.file)


def clip_source(
    db: Session, services: Services, camera: Camera, contract_id: int, start: datetime, duration: int, now: datetime
) -> FilePlan:
    """What serves the clip (switch the download path here). NotReady while the range is still being recorded,
    uploaded, or fetched from the box on demand; CodecChanged when it cannot be one progressive file."""
    end = start + timedelta(seconds=duration)
    if end > now:
        raise NotReady("запись ещё идёт")
    newest = newest_segments(db, camera.id, count=1)
    if (not newest or newest[-1].end < end) and now - end < UPLOAD_GRACE:
        raise NotReady("запись ещё загружается")
    contract = db.get(Contract, contract_id)
    tz = contract.tz if contract and contract.tz else services.settings.display_tz
    depth = visible_depth_days(db, contract_id, camera)
    try:
        return plan_file(db, storage_of(services), services.commands, camera, start, duration, now, tz, depth)
    except Fetching:
        raise NotReady("запись загружается с устройства") from None


__all__ = ["ClipRefused", "DownloadGone", "NotReady", "Ready", "clip_source", "issue", "resolve"]
