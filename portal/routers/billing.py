"""Billing JSON API for subscribers (/api/v1/billing/...) and the app-wide answer to a suspended service.

Money is a decimal string in roubles ("150.00"); bad input is 422 whose detail starts with the field's name.
Online payments (POST /api/v1/billing/payments) and auto-payment live in the payments module.
"""

from datetime import date

from fastapi import APIRouter, BackgroundTasks, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from portal.billing import account, offers, promised, retention, tariffs
from portal.billing.gate import ServiceSuspended
from portal.billing.money import format_roubles
from portal.billing.periods import parse_period
from portal.cabinet.errors import FieldError
from portal.deps import DB, Subscriber, services
from portal.models import Contract, Tariff, utcnow
from portal.params import RowId

router = APIRouter(prefix="/api/v1/billing", tags=["billing"])


class TariffOut(BaseModel):
    id: int
    name: str
    monthly_price: str = Field(description='Roubles, e.g. "150.00"')
    archive_days: int
    description: str = ""


class NextChargeOut(BaseModel):
    date: date
    amount: str


class AccountOut(BaseModel):
    balance: str
    currency: str = "RUB"
    status: str = Field(description="active | suspended")
    status_message: str = Field("", description="Why the service is suspended and how to pay (Russian)")
    tariff: TariffOut | None
    pending_tariff: TariffOut | None = None
    pending_from: date | None = None
    next_charge: NextChargeOut | None
    autopay: dict = Field(default_factory=lambda: {"enabled": False})


class EntryOut(BaseModel):
    at: str
    kind: str
    amount: str
    balance_after: str
    description: str


class SwitchIn(BaseModel):
    tariff_id: int | str


class SwitchOut(BaseModel):
    tariff: TariffOut
    effective_from: date
    warning: str = ""


class PromisedOut(BaseModel):
    amount: str
    expires_at: str
    balance: str


class OfferOut(BaseModel):
    id: int
    title: str
    description: str
    kind: str
    tariff: TariffOut | None
    discount_percent: int
    months: int
    bonus: str
    accepted: bool


def tariff_out(t: Tariff) -> TariffOut:
    return TariffOut(
        id=t.id,
        name=t.name,
        monthly_price=format_roubles(t.monthly_price_kopecks),
        archive_days=t.archive_days,
        description=t.description,
    )


def unprocessable(exc: FieldError) -> HTTPException:
    return HTTPException(422, f"{exc.field}: {exc.reason}")


def _tz(db: DB, contract_id: int) -> str:
    contract = db.get(Contract, contract_id)
    return contract.tz if contract else "UTC"


# Filled in by the payments module (auto-payment settings of a contract); {"enabled": False} until then.
AUTOPAY_PROVIDERS: list = []


def autopay_of(db, contract_id: int) -> dict:
    for provider in AUTOPAY_PROVIDERS:
        return provider(db, contract_id)
    return {"enabled": False}


@router.get("/account", response_model=AccountOut)
def get_account(who: Subscriber, db: DB) -> AccountOut:
    s = account.summary(db, who.contract_id, utcnow())
    return AccountOut(
        balance=format_roubles(s.balance_kopecks),
        status=s.status,
        status_message=s.access.message,
        tariff=tariff_out(s.tariff) if s.tariff else None,
        pending_tariff=tariff_out(s.pending_tariff) if s.pending_tariff else None,
        pending_from=s.pending_from,
        next_charge=NextChargeOut(date=s.next_charge[0], amount=format_roubles(s.next_charge[1]))
        if s.next_charge
        else None,
        autopay=autopay_of(db, who.contract_id),
    )


@router.get("/tariffs", response_model=list[TariffOut])
def list_tariffs(who: Subscriber, db: DB) -> list[TariffOut]:
    """The tariffs open to the caller: active ones subscribers may switch to, and their own."""
    return [tariff_out(t) for t in tariffs.open_to(db, who.contract_id)]


@router.post("/tariff", response_model=SwitchOut)
def switch_tariff(request: Request, body: SwitchIn, who: Subscriber, db: DB, background: BackgroundTasks) -> SwitchOut:
    """Switch from the next day (or month, per the operator). Unknown or closed tariff -> 422 naming tariff_id."""
    try:
        result = tariffs.request_switch(db, who.contract_id, body.tariff_id, utcnow())
    except FieldError as exc:
        raise unprocessable(exc) from None
    # A deeper pending tariff is kept from now on: the cameras and their boxes are told after the commit.
    background.add_task(retention.refresh_and_tell, services(request))
    return SwitchOut(tariff=tariff_out(result.tariff), effective_from=result.effective, warning=result.warning)


@router.get("/entries", response_model=list[EntryOut])
def list_entries(request: Request, who: Subscriber, db: DB) -> list[EntryOut]:
    """Ledger entries in [from, to), newest first; from/to are ISO 8601 instants or dates (the contract's zone)."""
    try:
        lo, hi = parse_period(
            request.query_params.get("from"), request.query_params.get("to"), _tz(db, who.contract_id)
        )
    except FieldError as exc:
        raise unprocessable(exc) from None
    return [
        EntryOut(
            at=e.at.isoformat().replace("+00:00", "Z"),
            kind=e.kind,
            amount=format_roubles(e.amount_kopecks),
            balance_after=format_roubles(e.balance_after_kopecks),
            description=e.description,
        )
        for e in account.entries(db, who.contract_id, lo, hi)
    ]


@router.post("/promised", response_model=PromisedOut)
def take_promised(who: Subscriber, db: DB) -> PromisedOut:
    """«Обещанный платёж»: credit for the operator's number of days, at most once a calendar month."""
    try:
        grant = promised.take(db, who.contract_id, utcnow())
    except FieldError as exc:
        raise unprocessable(exc) from None
    return PromisedOut(
        amount=format_roubles(grant.amount_kopecks),
        expires_at=grant.expires_at.isoformat().replace("+00:00", "Z"),
        balance=format_roubles(account.summary(db, who.contract_id, utcnow()).balance_kopecks),
    )


@router.get("/offers", response_model=list[OfferOut])
def list_offers(who: Subscriber, db: DB) -> list[OfferOut]:
    return [offer_out(o, accepted) for o, accepted in offers.for_contract(db, who.contract_id)]


@router.post("/offers/{offer_id}/accept", response_model=OfferOut)
def accept_offer(offer_id: RowId, who: Subscriber, db: DB) -> OfferOut:
    try:
        offer = offers.accept(db, who.contract_id, offer_id, utcnow())
    except FieldError as exc:
        raise unprocessable(exc) from None
    return offer_out(offer, True)


def offer_out(o, accepted: bool) -> OfferOut:
    return OfferOut(
        id=o.id,
        title=o.title,
        description=o.description,
        kind=o.kind,
        tariff=tariff_out(o.tariff) if o.tariff else None,
        discount_percent=o.discount_percent,
        months=o.months,
        bonus=format_roubles(o.bonus_kopecks),
        accepted=accepted,
    )


def install(app: FastAPI) -> None:
    """A suspended contract's request for video anywhere: 402 with the reason and how to pay; browsers
    navigating to a page get the cabinet's page saying the same."""

    async def suspended(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, ServiceSuspended):  # registered for ServiceSuspended only
            raise exc
        if "text/html" in request.headers.get("accept", ""):
            from portal.web.templating import render

            return render(request, "billing/suspended.html", 402, message=exc.message, active="billing")
        return JSONResponse({"detail": exc.message, "status": "suspended", "pay_url": "/billing"}, status_code=402)

    app.add_exception_handler(ServiceSuspended, suspended)
