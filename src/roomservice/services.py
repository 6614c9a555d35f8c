"""Wiring: builds the database, the services and the background tasks from settings."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from roomservice.broker.base import Broker
from roomservice.broker.local import LocalBroker
from roomservice.config import Settings
from roomservice.engine.engine import Engine
from roomservice.games.registry import GameRegistry, default_registry
from roomservice.realtime.hub import Hub
from roomservice.rooms.service import RoomService
from roomservice.sessions import SessionService, TokenSigner
from roomservice.store import chat
from roomservice.store.database import Database
from roomservice.store.journal import Journal
from roomservice.store.migrate import upgrade
from roomservice.types import Clock, wall_clock

log = logging.getLogger(__name__)

#: Seconds between saves of rooms' recent chat and chat activity (what a crash may lose of chat).
ACTIVITY_FLUSH = 1.0


@dataclasses.dataclass
class Services:
    settings: Settings
    db: Database
    games: GameRegistry
    sessions: SessionService
    rooms: RoomService
    broker: Broker
    hub: Hub
    engine: Engine
    journal: Journal
    tasks: list[asyncio.Task[None]] = dataclasses.field(default_factory=list)

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.hub.close()
        await self.engine.close()
        await self.journal.close()
        await self.hub.flush_activity()
        await self.broker.close()
        await self.db.close()


async def build_services(
    settings: Settings, *, clock: Clock = wall_clock, games: GameRegistry | None = None
) -> Services:
    games = games or default_registry(p.strip() for p in settings.games.split(",") if p.strip())
    db = Database(settings.effective_database_url)
    if settings.migrate_on_start:
        await upgrade(db)
    secret = settings.secret_key or await db.get_or_create_secret()
    sessions = SessionService(db, TokenSigner(secret, settings.session_max_age), clock)
    rooms = RoomService(db, games, settings, sink=None, clock=clock)
    broker = LocalBroker()
    hub = Hub(settings, rooms, broker, clock)
    journal = Journal(db)
    hub.load_chat = lambda room_id: _chat_history(db, room_id)
    engine = Engine(settings, games, db, rooms, hub, journal, clock)
    rooms.sink = engine
    await engine.restore()
    return Services(settings, db, games, sessions, rooms, broker, hub, engine, journal)


async def _chat_history(db: Database, room_id: str) -> list[dict[str, Any]]:
    async with db.read() as conn:
        return await chat.load(conn, room_id)


async def _every(interval: float, job: Callable[[], Awaitable[object]], what: str) -> None:
    """Run ``job`` every ``interval`` seconds until cancelled; a failed run is logged, not fatal."""
    while True:
        await asyncio.sleep(interval)
        try:
            await job()
        except Exception:
            log.exception("%s failed", what)


def start_background(services: Services) -> None:
    """Timers: idle-room expiry, and the batched write of chat activity."""
    services.tasks += [
        asyncio.create_task(_every(services.settings.expiry_interval, services.rooms.expire, "room expiry")),
        asyncio.create_task(_every(ACTIVITY_FLUSH, services.hub.flush_activity, "activity flush")),
    ]
