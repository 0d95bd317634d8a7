"""Notification centre JSON API (/api/v1/news, /api/v1/messages/active, /api/v1/notifications/…) and the
one-click unsubscribe endpoint of e-mails. Logic lives in portal/notify/."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from portal.deps import DB, Subscriber, services
from portal.models import Contract
from portal.notify import notices, subscriptions, unsubscribe
from portal.notify.categories import CATEGORIES, CHANNELS
from portal.params import RowId

router = APIRouter(prefix="/api/v1", tags=["notifications"])
public = APIRouter(tags=["notifications"])


class NewsItem(BaseModel):
    id: int
    title: str
    text: str
    published_at: datetime
    pinned: bool
    read: bool
    kind: str = "news"
    image_url: str = ""


class ActiveMessage(BaseModel):
    id: int
    kind: str = Field(description="maintenance | tariff | outage")
    title: str
    text: str
    starts_at: datetime | None
    ends_at: datetime | None


class Settings(BaseModel):
    categories: dict[str, list[str]] = Field(
        description=f"category → channels. Categories: {', '.join(CATEGORIES)}; channels: {', '.join(CHANNELS)} "
        "(an empty list = only in the cabinet)"
    )


class Feed(BaseModel):
    unread: int
    items: list[NewsItem]


def _contract(db, who) -> Contract:
    return db.get(Contract, who.contract_id)


def _item(n, read: bool) -> NewsItem:
    return NewsItem(
        id=n.id, title=n.title, text=n.text, published_at=n.published_at, pinned=n.pinned, read=read,
        kind=n.kind, image_url=n.image_url,
    )  # fmt: skip


@router.get("/news", response_model=list[NewsItem])
def news(who: Subscriber, db: DB) -> list[NewsItem]:
    """The operator's news for the caller, pinned first, newest first, with the caller's read marks."""
    return [_item(n, r) for n, r in notices.feed(db, _contract(db, who)) if n.kind == "news"]


@router.get("/messages/active", response_model=list[ActiveMessage])
def active(who: Subscriber, db: DB) -> list[ActiveMessage]:
    """Important messages in force now for the caller's contract, city or address (the cabinet's banner)."""
    return [
        ActiveMessage(id=n.id, kind=n.kind, title=n.title, text=n.text, starts_at=n.starts_at, ends_at=n.ends_at)
        for n in notices.active_messages(db, _contract(db, who))
    ]


@router.get("/notifications", response_model=Feed)
def feed(who: Subscriber, db: DB) -> Feed:
    """News and important messages together, with the unread count."""
    items = [_item(n, r) for n, r in notices.feed(db, _contract(db, who))]
    return Feed(unread=sum(1 for i in items if not i.read), items=items)


@router.post("/notifications/{notice_id}/read", status_code=204)
def mark_read(notice_id: RowId, who: Subscriber, db: DB) -> None:
    if not notices.mark_read(db, _contract(db, who), notice_id):
        raise HTTPException(404, "no such notification for this contract")


def _get_settings(who: Subscriber, db: DB) -> Settings:
    """Which categories go to which channels for the caller's contract (defaults where never chosen)."""
    return Settings(categories=subscriptions.settings_of(db, who.contract_id))


def _put_settings(body: Settings, who: Subscriber, db: DB) -> Settings:
    """Set the given categories' channels; bad category/channel → 422 naming `categories.<name>`."""
    try:
        return Settings(categories=subscriptions.update(db, who.contract_id, body.categories))
    except subscriptions.SubscriptionError as exc:
        raise HTTPException(422, [{"loc": ["body", *exc.field.split(".")], "msg": exc.reason}]) from exc


for path in ("/notifications/settings", "/notifications/subscriptions"):
    router.add_api_route(path, _get_settings, methods=["GET"], response_model=Settings)
    router.add_api_route(path, _put_settings, methods=["PUT"], response_model=Settings)


def _check(request: Request, db, c: int, cat: str, sig: str) -> Contract:
    if cat not in CATEGORIES or not unsubscribe.verify(services(request).settings.secret_key, c, cat, sig):
        raise HTTPException(400, "the unsubscribe link is damaged")
    contract = db.get(Contract, c)
    if contract is None:
        raise HTTPException(400, "the unsubscribe link is damaged")
    return contract


@public.get("/notify/unsubscribe", response_class=HTMLResponse, include_in_schema=False)
def unsubscribe_page(request: Request, db: DB, c: int = 0, cat: str = "", sig: str = "") -> HTMLResponse:
    """The link in an e-mail: a confirm button (a GET must not change anything: mail scanners follow links)."""
    _check(request, db, c, cat, sig)
    return HTMLResponse(
        "<!doctype html><meta charset=utf-8><title>Отписка</title>"
        f"<h1>Отписаться от «{CATEGORIES[cat]}» по e-mail?</h1>"
        f'<form method="post"><input type="hidden" name="c" value="{c}"><input type="hidden" name="cat" value="{cat}">'
        f'<input type="hidden" name="sig" value="{sig}"><button type="submit">Отписаться</button></form>'
    )


@public.post("/notify/unsubscribe", response_class=HTMLResponse, include_in_schema=False)
def unsubscribe_now(
    request: Request,
    db: DB,
    c: Annotated[int, Form()] = 0,
    cat: Annotated[str, Form()] = "",
    sig: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """RFC 8058 one-click (the mail client posts `List-Unsubscribe=One-Click` to the link) and the confirm button."""
    q = request.query_params
    raw_c = q.get("c", str(c))
    category = q.get("cat", cat)
    contract = _check(request, db, int(raw_c) if raw_c.isdigit() else 0, category, q.get("sig", sig))
    subscriptions.drop_channel(db, contract.id, category, "email")
    title = CATEGORIES[category]
    return HTMLResponse(f"<!doctype html><meta charset=utf-8><h1>Готово: «{title}» больше не приходят на e-mail</h1>")


ROUTERS = (router, public)
