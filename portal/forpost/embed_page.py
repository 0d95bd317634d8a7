"""The embeddable player page behind a GetEmbedClient URL: verifies the grant and the Forpost session behind it,
lists the contract's cameras (or the one camera it names) and plays the chosen one through an HLS translation
of that session. With IsTimeline=1 the page also shows the last day's recorded ranges and lets the viewer pick
a moment of the archive (``at``, local time of the contract); with IsTimeline=0 it plays live only."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from portal.access import can_view_media, may_view_media, visible_cameras
from portal.archive.timeline import timeline
from portal.auth.sessions import Principal, live_session
from portal.forpost import embed, translations
from portal.forpost.errors import ForpostError
from portal.models import Camera, Contract, utcnow
from portal.services import Services
from portal.web.templating import templates

TIMELINE_SPAN = timedelta(hours=24)
AT_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends


@dataclass(frozen=True)
class Bar:
    """A recorded range on the page's timeline: position and width in percent, and its start for a link."""

    left: float
    width: float
    at: str


def _denied(request: Request, reason: str) -> HTMLResponse:
    return templates.TemplateResponse(request, "embed_denied.html", {"reason": reason}, status_code=403)


def _zone(contract: Contract | None, default: str) -> ZoneInfo:
    try:
        return ZoneInfo(contract.tz if contract and contract.tz else default)
    except (KeyError, ValueError):
        return ZoneInfo(default)


def _archive_moment(text: str, zone: ZoneInfo, now: datetime) -> datetime:
    """The archive moment a viewer picked (local time); ValueError/OverflowError when it is not a past moment."""
    moment = datetime.strptime(text, AT_FORMAT).replace(tzinfo=zone).astimezone(now.tzinfo)
    if moment > now:
        raise ValueError(text)
    return moment


def _bars(db: Session, camera: Camera, zone: ZoneInfo, now: datetime) -> list[Bar]:
    start = now - TIMELINE_SPAN
    span = TIMELINE_SPAN.total_seconds()
    result = timeline(db, camera.id, start, now, resolution=60.0, now=now)
    return [
        Bar(
            left=round((lo - start).total_seconds() / span * 100, 2),
            width=max(round((hi - lo).total_seconds() / span * 100, 2), 0.3),
            at=lo.astimezone(zone).strftime(AT_FORMAT),
        )
        for lo, hi in result.ranges
    ]


def render_embed(request: Request, services: Services, query: dict[str, str], client_ip: str) -> HTMLResponse:
    settings = services.settings
    grant = embed.verify(settings.secret_key, query, client_ip)
    if grant is None:
        return _denied(request, "Ссылка недействительна или устарела")
    now = utcnow()
    with services.db.session() as db:
        # The page lives only as long as the Forpost session that asked for it, and as the contract may watch.
        who = live_session(db, grant.session_id, now)
        if who is None or who.contract_id != grant.contract_id or not may_view_media(db, who):
            return _denied(request, "Доступ к видео закрыт: сеанс завершён или договор отключён")
        contract = db.get(Contract, grant.contract_id)
        zone = _zone(contract, settings.display_tz)
        cameras = [c for c in visible_cameras(db, who) if c.enabled]
        if grant.camera_id:
            cameras = [c for c in cameras if c.id == grant.camera_id]
        shown_id = query.get("show") or (cameras[0].id if cameras else "")
        shown = can_view_media(db, who, shown_id) if shown_id else None
        if shown is not None and grant.camera_id and shown.id != grant.camera_id:
            shown = None
        url, error, at = "", "", ""
        start_at = None
        if grant.timeline and query.get("at"):  # without the timeline flag the page is live only
            try:
                start_at = _archive_moment(query["at"], zone, now)
                at = query["at"]
            except (ValueError, OverflowError):
                error = "Время архива: укажите прошедший момент в виде ГГГГ-ММ-ДДTЧЧ:ММ"
        if shown is not None and not error:
            url, error = _open(db, services, who, shown, start_at)
        context = {
            "cameras": [(c.id, c.name) for c in cameras],
            "shown": shown,
            "url": url,
            "error": error,
            "timeline": grant.timeline,
            "at": at,
            "bars": _bars(db, shown, zone, now) if grant.timeline and shown is not None else [],
            "tz": zone.key,
            "base_query": {k: v for k, v in query.items() if k not in ("show", "at")},
            "show_query": {k: v for k, v in query.items() if k != "at"},
        }
    return templates.TemplateResponse(request, "embed.html", context)


def _open(
    db: Session, services: Services, who: Principal, camera: Camera, start_at: datetime | None
) -> tuple[str, str]:
    """(translation URL, "") or ("", why not)."""
    assert who.contract_id is not None
    try:
        url = translations.open_translation(
            db,
            services.settings,
            contract_id=who.contract_id,
            session_id=who.session_id,
            camera=camera,
            fmt="HLS",
            start_at=start_at,
            tz_offset=0,
            light=False,
        )
    except ForpostError as refused:
        return "", refused.text
    return f"{url}?container=fmp4", ""  # our own player: fMP4, as the cabinet's (the apps get MPEG-TS)
