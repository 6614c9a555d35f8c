"""Wiring: builds every part once, in dependency order, each with its collaborators passed in."""

from __future__ import annotations

import dataclasses
import logging

from argon2 import PasswordHasher
from redis.asyncio import Redis

from roomservice.accounts import AccountService
from roomservice.broker.base import Broker
from roomservice.broker.local import LocalBroker
from roomservice.broker.redis import RedisBroker
from roomservice.cluster.engine import ClusterEngine
from roomservice.cluster.frames import Frames, OwnerFrames
from roomservice.cluster.hub import ClusterHub
from roomservice.cluster.lobby import ClusterLobby
from roomservice.cluster.node import Node
from roomservice.config import Settings
from roomservice.engine.engine import Engine
from roomservice.engine.replay import Replays
from roomservice.games.registry import GameRegistry, default_registry
from roomservice.leaderboards.redis import RedisIndex
from roomservice.leaderboards.service import Leaderboards
from roomservice.leases.base import Leases
from roomservice.leases.local import LocalLeases
from roomservice.leases.redis import RedisLeases
from roomservice.limits.base import Counters
from roomservice.limits.local import LocalCounters
from roomservice.limits.redis import RedisCounters
from roomservice.matchmaking.base import MatchQueue
from roomservice.matchmaking.local import LocalQueue
from roomservice.matchmaking.redis import RedisQueue
from roomservice.matchmaking.service import Matchmaker
from roomservice.model import Room
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
from roomservice.store import rooms as rooms_repo
from roomservice.store.database import Database
from roomservice.store.journal import Journal
from roomservice.store.migrate import upgrade
from roomservice.store.seq import SeqMarks
from roomservice.types import Clock, wall_clock

log = logging.getLogger(__name__)

#: Seconds between saves of rooms' recent chat and chat activity (what a crash may lose of chat).
ACTIVITY_FLUSH = 1.0
#: Seconds a room's lease lasts unless renewed (renewed every third of it), one node alone.
LEASE_TTL = 30.0
#: Seconds a Redis command of a node of several may take before Redis counts as unreachable.
REDIS_TIMEOUT = 2.0


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
    #: Where the HTTP rate limits are counted: this process, or (several nodes) Redis.
    counters: Counters
    owned_scheduler: LoopScheduler | None = None
    #: This node's counters for ``/metrics``; None when metrics are off.
    stats: Stats | None = None
    #: Several nodes: this node's part of the cluster (None: one node alone).
    cluster: Cluster | None = None

    def start_background(self) -> None:
        """Timers: idle-room expiry, the batched save of chat and chat activity, lease renewal (with
        several nodes: the cluster's upkeep, which renews leases too)."""
        self.scheduler.every(self.settings.expiry_interval, self.rooms.expire, "room expiry")
        self.scheduler.every(ACTIVITY_FLUSH, self.chat.flush, "chat save")
        if self.cluster is None:
            self.scheduler.every(LEASE_TTL / 3, self.outbox.renew, "lease renewal")
        else:
            self.scheduler.every(self.settings.lease_ttl / 3, self.cluster.hub.upkeep, "cluster upkeep")

    async def close(self) -> None:
        if self.cluster is not None:
            await self._drain(self.cluster)
            return
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

    async def _drain(self, cluster: Cluster) -> None:
        """A node of several stops: its games stop with every accepted step written, its rooms are let
        go (other nodes take them when they need them), then its sockets close with 1012 so their
        clients reconnect to another node and resume."""
        self.outbox.stopping = True
        if self.owned_scheduler is not None:
            await self.owned_scheduler.close()
        await self.matchmaker.close()
        await self.engine.close()
        await self.workshop.close()
        await self.journal.close()
        await self.chat.flush()
        await self.outbox.close()
        await cluster.hub.drain()
        await self.hub.close()
        await cluster.node.close()
        await self.broker.close()
        await cluster.leases.aclose()
        await cluster.index.client.aclose()
        await self.counters.aclose()
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
    node: Node | None = None
    if settings.redis_url:
        node = _node(settings, scheduler)
        leases: Leases = node.leases
        broker: Broker = node.broker
    else:
        leases = LocalLeases(clock=scheduler.now, ttl=LEASE_TTL)
        broker = LocalBroker()

    async def load_room(room_id: str) -> Room | None:
        async with db.read() as conn:
            found = await rooms_repo.get_room(conn, room_id=room_id)
        return found[0] if found else None

    # Several nodes: the lobby hears other nodes' changes; frames of rooms owned elsewhere go to their
    # owners through the node (which exists before every part that needs it).
    lobby = LobbyFeed() if node is None else ClusterLobby(broker, node.node_id, load_room, node.spawn)
    frames = Frames(node, node.broker) if node is not None else None
    outbox = Outbox(
        settings, broker, leases, SeqMarks(db), lobby, stats, fencing=node is not None, remote=frames
    )
    rooms = RoomService(db, games, settings, sink=outbox, clock=scheduler.now, owners=outbox)
    lobby.load(await rooms.public_rooms())

    async def load_chat(room_id: str) -> list[Line]:
        async with db.read() as conn:
            return await chat_repo.load(conn, room_id)

    chat = ChatLog(load_chat, rooms.touch, settings.chat_history)
    # The owner's side of frames other nodes hand this node: it numbers them, chat lines join the log.
    owner_frames = OwnerFrames(node, outbox, chat) if node is not None else None
    journal = Journal(db, stats)
    # Several nodes read leaderboards from Redis sorted sets kept in step with the database.
    index = RedisIndex(_redis(settings, decode=True), db, settings.redis_prefix) if node is not None else None
    leaderboards = Leaderboards(db, games, scheduler.now, index)
    parts = (settings, games, db, rooms, outbox, broker, journal, scheduler, leaderboards, stats)
    engine = Engine(*parts) if node is None else ClusterEngine(*parts, node=node)
    projects = ProjectService(db, scheduler.now)
    workshop = Workshop(settings, projects, outbox, scheduler)
    hub_parts = (settings, outbox, broker, rooms, engine, chat, scheduler)
    cluster: Cluster | None = None
    if node is None:
        hub = Hub(*hub_parts, projects=workshop, stats=stats)
        queue: MatchQueue = LocalQueue(clock=scheduler.now)
    else:
        assert frames is not None and owner_frames is not None and index is not None
        cluster_hub = ClusterHub(*hub_parts, node=node, projects=workshop, stats=stats)
        hub = cluster_hub
        cluster = Cluster(node, frames, owner_frames, cluster_hub, index)
        queue = RedisQueue.from_settings(settings)
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
        AccountService(
            db,
            sessions,
            scheduler.now,
            PasswordHasher(time_cost=settings.password_time_cost, memory_cost=settings.password_memory_kib),
        ),
        projects,
        workshop,
        LocalCounters(scheduler.now)
        if cluster is None
        else RedisCounters(_redis(settings, decode=True), prefix=settings.redis_prefix, clock=scheduler.now),
        owned,
        stats,
        cluster,
    )


@dataclasses.dataclass
class Cluster:
    """The parts of a node of several (``settings.redis_url``)."""

    node: Node
    #: What this node hands to the owners of rooms it does not own (the outbox's remote).
    frames: Frames
    #: The owner's side: what other nodes hand this node for the rooms it owns.
    owner_frames: OwnerFrames
    hub: ClusterHub
    #: The leaderboards' Redis index, on the same Redis and prefix.
    index: RedisIndex

    @property
    def broker(self) -> RedisBroker:
        return self.node.broker

    @property
    def leases(self) -> RedisLeases:
        return self.node.leases

    @property
    def reachable(self) -> bool:
        """Whether Redis answered this node lately."""
        return self.node.broker.reachable


def _redis(settings: Settings, *, decode: bool) -> Redis:
    """A client on the cluster's Redis that gives up on a silent server within seconds (a blocked
    pub/sub read waits as long as it must)."""
    return Redis.from_url(
        settings.redis_url,
        decode_responses=decode,
        socket_timeout=REDIS_TIMEOUT,
        socket_connect_timeout=REDIS_TIMEOUT,
    )


def _node(settings: Settings, scheduler: Scheduler) -> Node:
    """This node's part of the cluster, with its broker and leases on the cluster's Redis."""
    node_id = settings.effective_node_id
    prefix = settings.redis_prefix
    broker = RedisBroker(_redis(settings, decode=False), prefix=prefix, log_size=settings.resume_buffer)
    leases = RedisLeases(
        _redis(settings, decode=True),
        prefix=prefix,
        node_id=node_id,
        clock=scheduler.now,
        ttl=settings.lease_ttl,
    )
    return Node(node_id, broker, leases, _redis(settings, decode=True), prefix=prefix)
