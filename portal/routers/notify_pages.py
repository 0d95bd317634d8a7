"""Cabinet pages of the notification centre: the feed (news and important messages, read marks) and the
subscription settings form. Logic lives in portal/notify/."""

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from portal.deps import DB
from portal.models import Contract
from portal.notify import notices, subscriptions
from portal.notify.categories import CATEGORIES, CHANNELS
from portal.params import RowId
from portal.web.csrf import verify_csrf
from portal.web.guards import PageSubscriber
from portal.web.templating import render

router = APIRouter(tags=["notification pages"], include_in_schema=False)
CHANNEL_TITLES = {"email": "E-mail", "sms": "SMS", "push": "Push"}


@router.get("/notifications")
def feed_page(request: Request, who: PageSubscriber, db: DB, saved: str = "") -> Response:
    contract = _contract(db, who.contract_id)
    items = notices.feed(db, contract)
    return render(
        request,
        "notify/feed.html",
        active="notifications",
        tz=contract.tz,
        items=items,
        unread=sum(1 for _, r in items if not r),
        settings=subscriptions.settings_of(db, contract.id),
        categories=CATEGORIES,
        channels=CHANNEL_TITLES,
        notice="Настройки рассылок сохранены" if saved else None,
    )


@router.post("/notifications/settings", dependencies=[Depends(verify_csrf)])
async def save_settings(request: Request, who: PageSubscriber, db: DB) -> Response:
    form = await request.form()
    chosen = {cat: [ch for ch in CHANNELS if form.get(f"{cat}.{ch}")] for cat in CATEGORIES}
    subscriptions.update(db, who.contract_id, chosen)
    return RedirectResponse("/notifications?saved=1#settings", status_code=303)


@router.post("/notifications/{notice_id}/read", dependencies=[Depends(verify_csrf)])
def read_page(notice_id: RowId, who: PageSubscriber, db: DB) -> Response:
    notices.mark_read(db, _contract(db, who.contract_id), notice_id)
    return RedirectResponse(f"/notifications#n{notice_id}", status_code=303)


ROUTERS = (router,)


def _contract(db: Session, contract_id: int) -> Contract:
    contract = db.get(Contract, contract_id)
    if contract is None:  # deleted while logged in
        raise HTTPException(404, "договор не найден")
    return contract
