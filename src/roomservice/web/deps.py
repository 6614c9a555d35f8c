"""Request dependencies: the services and the caller's session."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.requests import HTTPConnection

from roomservice.model import Session
from roomservice.services import Services


def services_of(conn: HTTPConnection) -> Services:
    return conn.app.state.services  # type: ignore[no-any-return]


async def services(conn: HTTPConnection) -> Services:
    """``async`` so FastAPI calls it on the loop instead of sending it to a worker thread."""
    return services_of(conn)


def token_of(conn: HTTPConnection, cookie_name: str) -> str | None:
    """The session token: ``Authorization: Bearer``, then ``?token=`` (sockets), then the cookie."""
    auth = conn.headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return conn.query_params.get("token") or conn.cookies.get(cookie_name)


async def authenticate(request: Request, svc: Services) -> Session:
    return await svc.sessions.authenticate(token_of(request, svc.settings.session_cookie))


async def current_session(request: Request) -> Session:
    return await authenticate(request, services_of(request))


ServicesDep = Annotated[Services, Depends(services)]
SessionDep = Annotated[Session, Depends(current_session)]
