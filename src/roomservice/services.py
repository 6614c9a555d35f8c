"""Wiring: builds every part once, in dependency order, each with its collaborators passed in."""

from __future__ import annotations

import dataclasses
import logging

from roomservice.accounts import AccountService
from roomservice.broker.base import Broker
from roomservice.broker.local import LocalBroker
from roomservice.config import Settings
from roomservice.engine.engine import Engine
from roomservice.engine.replay import Replays
from roomservice.games.registry import GameRegistry, default_registry
from roomservice.leaderboards.service import Leaderboards
from roomservice.leases.base import Leases
from roomservice.leases.local import LocalLeases
from roomservice.matchmaking.local import LocalQueue
from roomservice.matchmaking.service import Matchmaker
from roomservice.projects.service import ProjectService
from roomservice.projects.workshop import Workshop
from roomservice.realtime.hub import Hub
from roomservice.realtime.lobby import LobbyFeed
from roomservice.realtime.outbox import Outbox
from roomservice.rooms.chat import ChatLog, Line
from roomservice.rooms.service import RoomService
from roomservice.scheduling import LoopScheduler, Scheduler
from roomservice.sessions import SessionService, TokenSigner
from roomservice.stats import Stats
from roomservice.store import chat as chat_repo
from roomservice.store.database import Database
from roomservice.store.journal import Journal
from roomservice.store.migrate import upgrade
from roomservice.store.seq import SeqMarks
from roomservice.types import Clock, wall_clock

log = logging.getLogger(__name__)

#: Seconds between saves of rooms' recent chat and chat activity (what a crash may lose of chat).
ACTIVITY_FLUSH = 1.0
#: Seconds a room's lease lasts unless renewed (renewed every third of it).
LEASE_TTL = 30.0


@dataclasses.dataclass
class Services:
    settings: Settings
    db: Database
    games: GameRegistry
    scheduler: Scheduler
    leases: Leases
    broker: Broker
    outbox: Outbox
    sessions: SessionService
    rooms: RoomService
    chat: ChatLog
    journal: Journal
    engine: Engine
    hub: Hub
    matchmaker: Matchmaker
    leaderboards: Leaderboards
    replays: Replays
    accounts: AccountService
    projects: ProjectService
    workshop: Workshop
    owned_scheduler: LoopScheduler | None = None
    #: This node's counters for ``/metrics``; None when metrics are off.
    stats: Stats | None = None

    def start_background(self) -> None:
        """Timers: idle-room expiry, the batched save of chat and chat activity, lease renewal."""
        self.scheduler.every(self.settings.expiry_interval, self.rooms.expire, "room expiry")
        self.scheduler.every(ACTIVITY_FLUSH, self.chat.flush, "chat save")
        self.scheduler.every(LEASE_TTL / 3, self.outbox.renew, "lease renewal")

    async def close(self) -> None:
        if self.owned_scheduler is not None:
            await self.owned_scheduler.close()
        await self.matchmaker.close()
        await self.hub.close()
        await self.workshop.close()
        await self.engine.close()
        await self.journal.close()
        await self.chat.flush()
        await self.outbox.close()
        await self.broker.close()
        await self.db.close()


async def build_services(
    settings: Settings,
    *,
    clock: Clock = wall_clock,
    scheduler: Scheduler | None = None,
    games: GameRegistry | None = None,
    stats: Stats | None = None,
) -> Services:
    """Every part of a node. ``scheduler`` (default: the event loop's timers on ``clock``) runs every
    timer, so tests can move time; ``stats`` (None: metrics off) is what the hot paths count into."""
    games = games or default_registry(p.strip() for p in settings.games.split(",") if p.strip())
    owned = LoopScheduler(clock) if scheduler is None else None
    scheduler = scheduler or owned
    assert scheduler is not None
    db = Database(settings.effective_database_url, pool_size=settings.database_pool_size)
    if settings.migrate_on_start:
        await upgrade(db)
    secret = settings.secret_key or await db.get_or_create_secret()
    sessions = SessionService(db, TokenSigner(secret, settings.session_max_age), scheduler.now)
    leases = LocalLeases(clock=scheduler.now, ttl=LEASE_TTL)
    broker = LocalBroker()
    lobby = LobbyFeed()
    outbox = Outbox(settings, broker, leases, SeqMarks(db), lobby, stats)
    rooms = RoomService(db, games, settings, sink=outbox, clock=scheduler.now)
    lobby.load(await rooms.public_rooms())

    async def load_chat(room_id: str) -> list[Line]:
        async with db.read() as conn:
            return await chat_repo.load(conn, room_id)

    chat = ChatLog(load_chat, rooms.touch, settings.chat_history)
    journal = Journal(db, stats)
    leaderboards = Leaderboards(db, games, scheduler.now)
    engine = Engine(settings, games, db, rooms, outbox, broker, journal, scheduler, leaderboards, stats)
    projects = ProjectService(db, scheduler.now)
    workshop = Workshop(settings, projects, outbox, scheduler)
    hub = Hub(settings, outbox, broker, rooms, engine, chat, scheduler, projects=workshop, stats=stats)
    # The in-process queue: a Redis one (``matchmaking.redis``) waits for several nodes to be served.
    queue = LocalQueue(clock=scheduler.now)
    matchmaker = Matchmaker(settings, games, queue, rooms, outbox, broker, hub, engine, scheduler)
    await engine.restore()
    await hub.restore()
    return Services(
        settings,
        db,
        games,
        scheduler,
        leases,
        broker,
        outbox,
        sessions,
        rooms,
        chat,
        journal,
        engine,
        hub,
        matchmaker,
        leaderboards,
        Replays(db, games),
        AccountService(db, sessions, scheduler.now),
        projects,
        workshop,
        owned,
        stats,
    )
