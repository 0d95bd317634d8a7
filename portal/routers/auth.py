"""JSON login for subscribers: contract number + password -> bearer token and session cookie."""

from datetime import timedelta

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from portal.auth.passwords import verify_password
from portal.auth.sessions import SESSION_COOKIE, open_session, revoke
from portal.deps import DB, AnyPrincipal, services
from portal.models import Contract

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class LoginBody(BaseModel):
    contract: str = Field(min_length=1, max_length=32, description="Contract number (the login)")
    password: str = Field(min_length=1, max_length=200)
    remember: bool = False


class TokenOut(BaseModel):
    token: str


@router.post("/login", response_model=TokenOut)
def login(body: LoginBody, request: Request, response: Response, db: DB) -> TokenOut:
    contract = db.scalar(select(Contract).where(Contract.number == body.contract.strip()))
    if contract is None or not verify_password(contract.password_hash, body.password):
        raise HTTPException(401, "wrong contract number or password")
    if contract.status != "active":
        raise HTTPException(403, f"contract {contract.number} is {contract.status}")
    settings = services(request).settings
    days = settings.remember_days if body.remember else settings.session_days
    token, _ = open_session(
        db,
        contract=contract,
        lifetime=timedelta(days=days),
        kind="api",
        ip=request.client.host if request.client else "",
        user_agent=request.headers.get("user-agent", ""),
    )
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=days * 86400 if body.remember else None,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    return TokenOut(token=token)


@router.post("/logout", status_code=204)
def logout(who: AnyPrincipal, response: Response, db: DB) -> None:
    revoke(db, who.session_id)
    response.delete_cookie(SESSION_COOKIE)
