"""Wiring: builds the database, the services and the background tasks from settings."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Sequence

from roomservice.config import Settings
from roomservice.games.registry import GameRegistry, default_registry
from roomservice.rooms.events import RoomEvent
from roomservice.rooms.expiry import run_expiry
from roomservice.rooms.model import Room
from roomservice.rooms.service import RoomService
from roomservice.sessions import SessionService, TokenSigner
from roomservice.store.database import Database
from roomservice.store.migrate import upgrade
from roomservice.types import Clock, wall_clock

log = logging.getLogger(__name__)


class _Unwired:
    """The sink before the real-time layer attaches: events have no sockets to reach."""

    async def room_events(self, room: Room, events: Sequence[RoomEvent]) -> None:
        return None


@dataclasses.dataclass
class Services:
    settings: Settings
    db: Database
    games: GameRegistry
    sessions: SessionService
    rooms: RoomService
    tasks: list[asyncio.Task[None]] = dataclasses.field(default_factory=list)

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.db.close()


async def build_services(
    settings: Settings, *, clock: Clock = wall_clock, games: GameRegistry | None = None
) -> Services:
    db = Database(settings.effective_database_url)
    if settings.migrate_on_start:
        await upgrade(db)
    secret = settings.secret_key or await db.get_or_create_secret()
    games = games or default_registry()
    sessions = SessionService(db, TokenSigner(secret, settings.session_max_age), clock)
    rooms = RoomService(db, games, settings, _Unwired(), clock)
    return Services(settings, db, games, sessions, rooms)


def start_background(services: Services) -> None:
    services.tasks.append(asyncio.create_task(run_expiry(services.rooms, services.settings.expiry_interval)))
