"""The notification centre in the operator console: compose news and important messages with targeting and an
audience preview, the notices' list, and the outbox (every channel) with statuses and failure reasons."""

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from portal.deps import DB, services
from portal.models import Address
from portal.models.notify import Notice
from portal.notify import notices, outbox
from portal.notify.categories import NOTICE_KINDS
from portal.params import RowId
from portal.web.csrf import verify_csrf
from portal.web.guards import PageOperator
from portal.web.templating import render

router = APIRouter(prefix="/operator/notify", tags=["operator console"], include_in_schema=False)
KIND_TITLES = {"news": "Новость", "maintenance": "Профилактика", "tariff": "Изменение тарифа", "outage": "Авария"}


def _when(value: str, tz: str, field: str) -> datetime | None:
    if not value.strip():
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=ZoneInfo(tz))
    except ValueError as exc:
        raise notices.NoticeError(field, "date and time as YYYY-MM-DDTHH:MM") from exc


def _page(request: Request, db, status_code: int = 200, **extra) -> Response:
    return render(
        request,
        "operator/notify.html",
        status_code=status_code,
        active="notify",
        notices=list(db.scalars(select(Notice).order_by(Notice.published_at.desc()).limit(100))),
        addresses=list(db.scalars(select(Address).order_by(Address.city, Address.street, Address.house))),
        kinds=KIND_TITLES,
        **extra,
    )


@router.get("")
def notify_page(request: Request, _who: PageOperator, db: DB) -> Response:
    return _page(request, db)


@router.post("", dependencies=[Depends(verify_csrf)])
def compose(
    request: Request,
    _who: PageOperator,
    db: DB,
    kind: Annotated[str, Form()] = "news",
    title: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    image_url: Annotated[str, Form()] = "",
    pinned: Annotated[str, Form()] = "",
    published_at: Annotated[str, Form()] = "",
    starts_at: Annotated[str, Form()] = "",
    ends_at: Annotated[str, Form()] = "",
    target_kind: Annotated[str, Form()] = "all",
    target_value: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "publish",
) -> Response:
    """`action=preview` answers the audience size without publishing anything."""
    settings = services(request).settings
    form = dict(kind=kind, title=title, text=text, image_url=image_url, pinned=pinned, published_at=published_at,
                starts_at=starts_at, ends_at=ends_at, target_kind=target_kind, target_value=target_value)  # fmt: skip
    zone = settings.display_tz
    try:
        draft = notices.Draft(
            kind, title, text, image_url.strip(), bool(pinned), _when(published_at, zone, "published_at"),
            _when(starts_at, settings.display_tz, "starts_at"), _when(ends_at, settings.display_tz, "ends_at"),
            target_kind, target_value,
        )  # fmt: skip
        notices.validate(db, draft)
        if action == "preview":
            size = notices.audience_size(db, target_kind, target_value)
            return _page(request, db, form=form, preview=size)
        notice = notices.publish(db, draft)
        notices.fan_out(db, outbox.Policy.from_settings(settings), notice, settings.public_url)
    except notices.NoticeError as exc:
        return _page(request, db, status_code=422, form=form, error=f"{exc.field}: {exc.reason}")
    return RedirectResponse(f"/operator/notify/{notice.id}", status_code=303)


@router.get("/outbox")
def outbox_page(request: Request, _who: PageOperator, db: DB, contract: int | None = None) -> Response:
    """Every channel's deliveries; `text` is stored with codes masked, so nothing secret is shown."""
    return render(request, "operator/notify_outbox.html", active="notify",
                  messages=outbox.recent(db, 300, contract_id=contract), contract=contract)  # fmt: skip


@router.get("/{notice_id}")
def notice_page(request: Request, notice_id: RowId, _who: PageOperator, db: DB) -> Response:
    notice = db.get(Notice, notice_id)
    if notice is None:
        return _page(request, db, status_code=404, error="Нет такого сообщения")
    size = len(db.scalars(notices.audience_query(db, notice.target_kind, notice.target_value, notice.id)).all())
    return render(request, "operator/notify_notice.html", active="notify", n=notice, audience=size,
                  kinds=KIND_TITLES, messages=outbox.recent(db, 500, notice_id=notice.id))  # fmt: skip


@router.post("/{notice_id}/delete", dependencies=[Depends(verify_csrf)])
def delete_notice(notice_id: RowId, _who: PageOperator, db: DB) -> Response:
    notices.remove(db, notice_id)
    return RedirectResponse("/operator/notify", status_code=303)


ROUTERS = (router,)
assert set(KIND_TITLES) == set(NOTICE_KINDS)
