"""Accounts: sign up (the current guest session becomes the account's), log in elsewhere, log out, and
sign out every other device."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.responses import Response

from roomservice.accounts import InvalidCredentials
from roomservice.web import bodies
from roomservice.web.deps import ServicesDep, SessionDep
from roomservice.web.openapi import body, errors
from roomservice.web.ratelimit import client_address, limits_of
from roomservice.web.responses import JSON
from roomservice.web.routes.session import set_session_cookie

router = APIRouter(tags=["accounts"])


class Credentials(BaseModel):
    username: Any = None
    password: Any = None


@router.post(
    "/api/accounts",
    status_code=201,
    summary="Turn the current guest session into a new account",
    responses={**body(bodies.SignedUp, 201), **errors(401, 403, 409, 429)},
)
async def sign_up(body: Credentials, request: Request, session: SessionDep, svc: ServicesDep) -> Response:
    await limits_of(request).accounts.take(client_address(request))
    account, joined = await svc.accounts.sign_up(session, body.username, body.password)
    return JSON({"account": account.to_dict(), "session": joined.to_dict()}, 201)


@router.post(
    "/api/login",
    summary="Log in: a new session of the account, for this device",
    responses={**body(bodies.NewSession), **errors(401, 403, 429)},
)
async def log_in(body: Credentials, request: Request, svc: ServicesDep) -> Response:
    """Wrong passwords count against the username tried and the caller's address, whether the account
    exists or not; past the limit every attempt is refused before the password is looked at."""
    limits = limits_of(request)
    name = body.username.strip().lower() if isinstance(body.username, str) else ""
    address = client_address(request)
    await limits.login_accounts.take(name)
    try:
        await limits.login_addresses.take(address)
    except BaseException:
        await limits.login_accounts.forgive(name)
        raise
    try:
        _, session, token = await svc.accounts.log_in(body.username, body.password)
    except InvalidCredentials:
        raise
    except BaseException:  # not an attempt that counts (bad input, a failure of ours)
        await limits.login_accounts.forgive(name)
        await limits.login_addresses.forgive(address)
        raise
    await limits.login_accounts.forgive(name)
    await limits.login_addresses.forgive(address)
    response = JSON({**session.to_dict(), "token": token}, headers={"Cache-Control": "no-store"})
    set_session_cookie(response, request, svc, token)
    return response


@router.post(
    "/api/logout",
    status_code=204,
    summary="End the current session (its token is refused from now on)",
    responses={204: {"description": "Logged out"}, **errors(401, 403)},
)
async def log_out(request: Request, session: SessionDep, svc: ServicesDep) -> Response:
    await svc.accounts.log_out(session)
    svc.hub.sign_out([session.session_id])
    response = Response(status_code=204)
    response.delete_cookie(svc.settings.session_cookie, path="/")
    return response


@router.get(
    "/api/account",
    summary="The current session's account",
    responses={**body(bodies.AccountInfo), **errors(401, 403)},
)
async def get_account(session: SessionDep, svc: ServicesDep) -> Response:
    account, live = await svc.accounts.get(session)
    return JSON({**account.to_dict(), "sessions": live})


@router.delete(
    "/api/account/sessions",
    summary="Sign out every other session of the account",
    responses={**body(bodies.SignedOut), **errors(401, 403)},
)
async def sign_out_others(session: SessionDep, svc: ServicesDep) -> Response:
    """Their tokens are refused at once and their sockets closed with 4001."""
    others = await svc.accounts.sign_out_others(session)
    svc.hub.sign_out(others)
    return JSON({"signed_out": len(others)})
