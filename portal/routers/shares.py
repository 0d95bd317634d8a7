"""Share links (portal/archive/shares.py): made and revoked by the subscriber, opened by anyone with the link."""

import re
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from cloud_sync.segments import format_time
from portal.access import can_view_media
from portal.archive import shares
from portal.archive.downloads import ClipRefused, Fetching, clip_filename, plan_clip
from portal.archive.file_response import file_response
from portal.archive.layout_cache import cached_layout
from portal.archive.params import parse_instant
from portal.archive.progressive import CodecChanged, Layout
from portal.archive.storage import storage_of
from portal.auth.client_ip import client_ip
from portal.deps import DB, PasswordSubscriber, Subscriber, services
from portal.models import Camera, Contract, utcnow
from portal.models.shares import ClipShare
from portal.params import RowId
from portal.web.csrf import verify_csrf_header
from portal.web.templating import render

router = APIRouter(tags=["shares"])
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")


class ShareIn(BaseModel):
    start: str = Field(description="ISO 8601 UTC")
    duration: float = Field(gt=0, allow_inf_nan=False, description="seconds")
    expires_in_hours: float = Field(default=shares.DEFAULT_TTL / timedelta(hours=1), gt=0, allow_inf_nan=False)
    note: str = Field(default="", max_length=shares.MAX_NOTE, description="for whom, why (shown to you only)")


class ShareOut(BaseModel):
    id: int
    camera_id: str
    start: str
    end: str
    expires_at: str
    revoked: bool
    note: str
    used: int = 0
    url: str | None = None  # only in the answer that made it: the token is not stored


class AccessOut(BaseModel):
    at: str
    what: str
    outcome: str
    ip: str
    user_agent: str
    byte_range: str


def _out(share: ClipShare, used: int = 0, url: str | None = None) -> ShareOut:
    return ShareOut(
        id=share.id,
        camera_id=share.camera_id,
        start=format_time(share.start),
        end=format_time(share.end),
        expires_at=format_time(share.expires_at),
        revoked=share.revoked_at is not None,
        note=share.note,
        used=used,
        url=url,
    )


def shareable_camera(request: Request, camera_id: str, who: PasswordSubscriber, db: DB) -> Camera:
    """A dependency, so a camera that is not theirs is refused before the body is even validated."""
    verify_csrf_header(request)
    camera = can_view_media(db, who, camera_id)
    if camera is None:
        raise HTTPException(403, f"camera {camera_id!r} is not one of yours")
    return camera


@router.post("/api/v1/cameras/{camera_id}/shares", status_code=201, response_model=ShareOut)
def create_share(
    request: Request,
    body: ShareIn,
    camera: Annotated[Camera, Depends(shareable_camera)],
    who: PasswordSubscriber,
    db: DB,
) -> ShareOut:
    svc, now = services(request), utcnow()
    start = parse_instant("start", body.start)
    contract = db.get(Contract, who.contract_id)
    tz = contract.tz if contract and contract.tz else svc.settings.display_tz
    try:
        shares.check_duration(body.duration)  # before plan_clip, which may ask the box to upload the range
        plan = plan_clip(db, svc.db.session, svc.commands, camera, start, body.duration, now, tz)
        share, token = shares.create_share(
            db, camera, who.contract_id, plan.start, plan.end, timedelta(hours=body.expires_in_hours), body.note, now
        )
    except Fetching:
        raise HTTPException(409, "start: part of the range is being fetched from the box; try again shortly") from None
    except ClipRefused as exc:
        raise HTTPException(exc.status, exc.detail) from None
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return _out(share, url=str(request.url_for("shared_page", token=token)))


@router.get("/api/v1/shares", response_model=list[ShareOut])
def list_shares(who: Subscriber, db: DB) -> list[ShareOut]:
    return [_out(share, used) for share, used in shares.shares_of(db, who.contract_id)]


@router.delete("/api/v1/shares/{share_id}", response_model=ShareOut)
def revoke_share(request: Request, share_id: RowId, who: Subscriber, db: DB) -> ShareOut:
    verify_csrf_header(request)
    share = shares.own_share(db, who.contract_id, share_id)
    if share is None:
        raise HTTPException(404, f"share {share_id} is not one of yours")
    shares.revoke(share, utcnow())
    return _out(share)


@router.get("/api/v1/shares/{share_id}/accesses", response_model=list[AccessOut])
def share_accesses(share_id: RowId, who: Subscriber, db: DB) -> list[AccessOut]:
    if shares.own_share(db, who.contract_id, share_id) is None:
        raise HTTPException(404, f"share {share_id} is not one of yours")
    return [
        AccessOut(at=format_time(a.at), what=a.what, outcome=a.outcome, ip=a.ip, user_agent=a.user_agent,
                  byte_range=a.byte_range)
        for a in shares.accesses(db, share_id)
    ]  # fmt: skip


def _use(request: Request, db, token: str, what: str) -> shares.Shared:
    """The usable share, logged; refused uses are logged too (when the share exists)."""
    now = utcnow()
    ip, agent, byte_range = client_ip(request), request.headers.get("user-agent", ""), request.headers.get("range", "")
    if not _TOKEN.fullmatch(token):
        raise shares.ShareRefused(404, "unknown", "Ссылка не найдена: проверьте, что она скопирована целиком.")
    try:
        shared = shares.open_share(db, token, now)
    except shares.ShareRefused as refused:
        if refused.share is not None:
            shares.log_access(db, refused.share, what, refused.reason, ip, agent, byte_range, now)
            db.commit()
        raise
    shares.log_access(db, shared.share, what, "served", ip, agent, byte_range, now)
    db.commit()
    return shared


@router.get("/s/{token}", name="shared_page", include_in_schema=False)
def shared_page(request: Request, token: str, db: DB) -> Response:
    try:
        shared = _use(request, db, token, "page")
    except shares.ShareRefused as refused:
        return render(request, "share.html", status_code=refused.status, refused=refused.message)
    share = shared.share
    return render(
        request,
        "share.html",
        camera_name=shared.camera.name,
        start=share.start,
        end=share.end,
        expires_at=share.expires_at,
        file_url=str(request.url_for("shared_file", token=token)),
    )


@router.api_route("/s/{token}/clip.mp4", methods=["GET", "HEAD"], name="shared_file", include_in_schema=False)
async def shared_file(request: Request, token: str) -> Response:
    plan, filename = await run_in_threadpool(_shared_layout, request, token)
    return file_response(request, storage_of(services(request)), plan, filename, inline=True)


def _shared_layout(request: Request, token: str) -> tuple[Layout, str]:
    svc = services(request)
    with svc.db.session() as db:
        try:
            shared = _use(request, db, token, "file")
        except shares.ShareRefused as refused:
            raise HTTPException(refused.status, refused.message) from None
        share = shared.share
        try:
            plan = cached_layout(db, storage_of(svc), share.camera_id, share.start, share.end)
        except CodecChanged as exc:
            raise HTTPException(409, str(exc)) from None
        if plan is None:
            raise HTTPException(410, "the video of this link is no longer stored (past the camera's retention)")
        contract = db.get(Contract, share.contract_id)
        tz = contract.tz if contract and contract.tz else svc.settings.display_tz
        return plan, clip_filename(shared.camera.name, share.start, tz)
