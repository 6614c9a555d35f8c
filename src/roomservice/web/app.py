"""The ASGI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from roomservice import __version__
from roomservice.config import Settings
from roomservice.games.registry import GameRegistry
from roomservice.scheduling import Scheduler
from roomservice.services import build_services
from roomservice.stats import Stats
from roomservice.tickets import TicketBook
from roomservice.types import Clock, wall_clock
from roomservice.web import bodies, errors, metrics, pages
from roomservice.web.bodyguard import BodyGuard
from roomservice.web.cluster import ClusterGuard
from roomservice.web.deps import ServicesDep
from roomservice.web.headers import SecurityHeaders
from roomservice.web.metrics import HttpMetrics, Metrics
from roomservice.web.openapi import errors as error_responses
from roomservice.web.origin import OriginGuard, parse_origins
from roomservice.web.ratelimit import HttpLimits
from roomservice.web.responses import JSON
from roomservice.web.routes import (
    accounts,
    admin,
    games,
    health,
    leaderboards,
    matchmaking,
    projects,
    replays,
    rooms,
    session,
)
from roomservice.web.ws import websocket_endpoint


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock = wall_clock,
    scheduler: Scheduler | None = None,
    games_registry: GameRegistry | None = None,
    background: bool = True,
) -> FastAPI:
    """Build the app. ``background=False`` leaves out the periodic jobs (expiry, chat saves), for tests
    that drive them; ``scheduler`` runs every timer (tests pass one whose time they move). Raises
    ``SettingsError`` for settings that cannot run (``Settings.check``)."""
    settings = settings or Settings.from_env()
    settings.check()
    if scheduler is not None and clock is wall_clock:
        clock = scheduler.now  # one time for everything, the scheduler's

    stats = Stats() if settings.metrics else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = await build_services(
            settings, clock=clock, scheduler=scheduler, games=games_registry, stats=stats
        )
        app.state.services = services
        app.state.limits = HttpLimits(settings, services.counters)
        if background:
            services.start_background()
        try:
            yield
        finally:
            await services.close()

    app = FastAPI(
        title="roomservice",
        version=__version__,
        description="Multiplayer rooms: sessions, lobby, rooms, real-time sockets and games.",
        lifespan=lifespan,
        default_response_class=JSON,
    )
    app.state.tickets = TicketBook(clock)
    app.state.allowed_origins = parse_origins(settings.allowed_origins)
    app.state.metrics = (
        Metrics(stats, lambda: getattr(app.state, "services", None)) if stats is not None else None
    )
    app.state.metrics_token = settings.metrics_token
    app.state.admin_token = settings.admin_token
    errors.install(app)
    # Outermost last: headers on every answer, then the origin check, then the body check; the
    # request metrics outside them all, so that what they refuse is counted too.
    app.add_middleware(BodyGuard, max_body=settings.max_body, max_depth=settings.max_json_depth)
    if settings.redis_url:
        app.add_middleware(ClusterGuard)
    app.add_middleware(OriginGuard, allowed=app.state.allowed_origins)
    app.add_middleware(SecurityHeaders)
    if stats is not None:
        app.add_middleware(HttpMetrics, stats=stats)
    for module in (
        health,
        session,
        accounts,
        games,
        rooms,
        matchmaking,
        leaderboards,
        replays,
        projects,
        admin,
    ):
        app.include_router(module.router)
    app.include_router(metrics.router)
    app.include_router(pages.router)
    app.include_router(admin.page_router)
    app.mount("/static", StaticFiles(directory=pages.STATIC_DIR), name="static")

    app.add_api_websocket_route("/ws", websocket_endpoint)

    @app.get(
        "/r/{code}",
        tags=["rooms"],
        summary="Invite link to a room",
        responses={
            200: {
                "model": bodies.RoomBody,
                "description": "The room's page for a browser (text/html), else the room as "
                "`GET /api/rooms/{code}` gives it",
                "content": {"text/html": {"schema": {"type": "string"}}},
            },
            **error_responses(404, 503),
        },
    )
    async def invite(code: str, request: Request, svc: ServicesDep) -> Response:
        if pages.wants_html(request):
            return pages.page("room")  # the page itself says when the room does not exist
        return JSON(await rooms.room_and_node(svc, await svc.rooms.get(code)))

    return app
