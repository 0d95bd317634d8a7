"""Operator console: System API credentials of ISP platforms (create with a scope, enable/disable) and the
log of every System API request (portal/forpost/system_admin.py)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from portal.deps import DB, services
from portal.forpost import system_admin
from portal.models import Address
from portal.models.forpost_system import SystemOperator
from portal.params import RowId
from portal.web.csrf import verify_csrf
from portal.web.guards import PageOperator
from portal.web.templating import render

router = APIRouter(prefix="/operator/forpost", tags=["operator console"], include_in_schema=False)


def _page(request: Request, db, status_code: int = 200, **extra) -> Response:
    operators = list(db.scalars(select(SystemOperator).order_by(SystemOperator.login)))
    return render(
        request,
        "operator/forpost_system.html",
        status_code=status_code,
        active="forpost",
        operators=[(op, system_admin.scope_labels(db, op.id)) for op in operators],
        addresses=list(db.scalars(select(Address).order_by(Address.city, Address.street, Address.house))),
        uses=system_admin.recent_uses(db),
        default_rate=services(request).settings.forpost_system_rate,
        **extra,
    )


@router.get("")
def system_page(request: Request, _who: PageOperator, db: DB) -> Response:
    return _page(request, db)


@router.post("", dependencies=[Depends(verify_csrf)])
def create_credential(
    request: Request,
    who: PageOperator,
    db: DB,
    login: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    rate_per_minute: Annotated[str, Form()] = "",
    allowed_ips: Annotated[str, Form()] = "",
    address_ids: Annotated[list[str] | None, Form()] = None,
    contracts: Annotated[str, Form()] = "",
) -> Response:
    form = {"login": login, "name": name, "rate_per_minute": rate_per_minute, "allowed_ips": allowed_ips,
            "contracts": contracts}  # fmt: skip
    try:
        ids = [int(a) for a in address_ids or []]
    except ValueError:
        return _page(request, db, 422, form=form, error="address_ids: not an address id")
    rate = rate_per_minute.strip() or str(services(request).settings.forpost_system_rate)
    if not rate.isdecimal():
        return _page(request, db, 422, form=form, error="rate_per_minute: a whole number")
    draft = system_admin.NewCredential(
        login=login,
        password=password,
        name=name,
        rate_per_minute=int(rate),
        allowed_ips=allowed_ips,
        address_ids=ids,
        contract_numbers=contracts.replace(",", " ").split(),
    )
    try:
        system_admin.create(db, draft, who.operator_id)
    except system_admin.CredentialError as exc:
        db.rollback()
        return _page(request, db, 422, form=form, error=str(exc))
    return RedirectResponse("/operator/forpost", status_code=303)


@router.post("/{operator_id}/active", dependencies=[Depends(verify_csrf)])
def set_active(
    request: Request, _who: PageOperator, db: DB, operator_id: RowId, active: Annotated[str, Form()] = "0"
) -> Response:
    if system_admin.set_active(db, operator_id, active == "1") is None:
        return _page(request, db, 404, error=f"operator_id: no credential {operator_id}")
    return RedirectResponse("/operator/forpost", status_code=303)
