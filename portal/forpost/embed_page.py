"""The embeddable player page behind a GetEmbedClient URL: verifies the grant, lists the contract's cameras
(or the one camera it names) and plays the chosen one through a live HLS translation of that account."""

from fastapi import Request
from fastapi.responses import HTMLResponse

from portal.access import can_view, visible_cameras
from portal.auth.sessions import Principal
from portal.forpost import embed, translations
from portal.forpost.errors import ForpostError
from portal.services import Services
from portal.web.templating import templates


def render_embed(request: Request, services: Services, query: dict[str, str], client_ip: str) -> HTMLResponse:
    settings = services.settings
    grant = embed.verify(settings.secret_key, query, client_ip)
    if grant is None:
        return templates.TemplateResponse(
            request, "embed_denied.html", {"reason": "Ссылка недействительна или устарела"}, status_code=403
        )
    # The grant stands for its contract; session 0 is never a real one and is used for nothing else.
    who = Principal(session_id=0, contract_id=grant.contract_id)
    with services.db.session() as db:
        cameras = [c for c in visible_cameras(db, who) if c.enabled]
        if grant.camera_id:
            cameras = [c for c in cameras if c.id == grant.camera_id]
        shown_id = query.get("show") or (cameras[0].id if cameras else "")
        shown = can_view(db, who, shown_id) if shown_id else None
        if shown is not None and grant.camera_id and shown.id != grant.camera_id:
            shown = None
        url, error = "", ""
        if shown is not None:
            try:
                url = translations.open_translation(
                    db,
                    settings,
                    contract_id=grant.contract_id,
                    session_id=None,
                    camera=shown,
                    fmt="HLS",
                    start_at=None,
                    tz_offset=0,
                    light=False,
                )
            except ForpostError as refused:
                error = refused.text
        context = {
            "cameras": [(c.id, c.name) for c in cameras],
            "shown": shown,
            "url": url,
            "error": error,
            "timeline": grant.timeline,
            "base_query": {k: v for k, v in query.items() if k != "show"},
        }
    return templates.TemplateResponse(request, "embed.html", context)
