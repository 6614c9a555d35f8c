"""The hub of a node in a cluster: one socket per session across every node, and what reaches a socket
held by another node.

A socket's session is recorded in Redis as held by this node (``Node.claim_session``); a second socket
of the session opening on another node replaces the first there (close 4002), or is refused, as
``ws_session_conflict`` says. A seat taken through any node reaches the session's socket wherever it
is (``seated``), and so does a frame for it alone (``send_to``). A seat whose socket went away keeps
its grace period, and the seat is given up only when the session has no socket on any node.

Upkeep (every third of the lease time): renew the leases of the rooms owned here, learn the owners of
the rooms this node's sockets sit in and take those nobody owns any more (a node died: its leases
lapsed), and renew the socket locations of this node's sessions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from redis.exceptions import RedisError

from roomservice.broker.base import Broker
from roomservice.cluster.node import Node
from roomservice.config import Settings
from roomservice.errors import ClusterUnavailable
from roomservice.model import Room, Session
from roomservice.protocol import codes
from roomservice.protocol.frames import encode
from roomservice.protocol.messages import ServerFrame, error
from roomservice.realtime.connection import Connection
from roomservice.realtime.hub import Hub
from roomservice.realtime.outbox import Outbox
from roomservice.realtime.ports import GameDesk, ProjectDesk
from roomservice.rooms.chat import ChatLog
from roomservice.rooms.service import RoomService
from roomservice.scheduling import Scheduler
from roomservice.stats import Stats

log = logging.getLogger(__name__)

#: The close code a draining node closes its sockets with: "service restart", reconnect and resume.
CLOSE_RESTART = 1012


class ClusterHub(Hub):
    """A :class:`Hub` whose sessions' sockets are known to every node through ``node``."""

    def __init__(
        self,
        settings: Settings,
        outbox: Outbox,
        broker: Broker,
        rooms: RoomService,
        desk: GameDesk,
        chat: ChatLog,
        scheduler: Scheduler,
        *,
        node: Node,
        projects: ProjectDesk | None = None,
        stats: Stats | None = None,
    ) -> None:
        super().__init__(
            settings,
            outbox,
            broker,
            rooms,
            desk,
            chat,
            scheduler,
            projects=projects,
            stats=stats,
            online_elsewhere=self._online_elsewhere,
        )
        self.node = node
        #: The last frame on its way to each session whose socket is on another node.
        self._sending: dict[str, asyncio.Future[None]] = {}
        self.room_service = rooms
        self.clock = scheduler.now
        node.handle("text", self._text)
        node.handle("seated", self._seated)
        node.handle("replaced", self._replaced)
        self.presence.outbox.when_claimed(self._claimed)

    # -- one socket per session, cluster-wide ---------------------------------------------------

    async def connect(self, conn: Connection) -> bool:
        refuse = self.settings.ws_session_conflict == "refuse"
        try:
            elsewhere = await self.node.claim_session(conn.session_id, refuse)
        except ClusterUnavailable:
            elsewhere = None  # Redis is away: this node serves its own sockets as they come
        if elsewhere is not None:
            if refuse:
                conn.send(encode(error(codes.ALREADY_CONNECTED, "This session already has a socket open.")))
                conn.close(codes.CLOSE_ALREADY_CONNECTED, "already connected")
                return False
            self.node.send(elsewhere, "replaced", {"session_id": conn.session_id})
        return await super().connect(conn)

    async def disconnect(self, conn: Connection) -> None:
        await super().disconnect(conn)
        if conn.session_id not in self.connections:
            await self.node.drop_session(conn.session_id)

    async def _replaced(self, body: dict[str, Any], sender: str) -> None:
        """A newer socket of the session opened on another node: this one goes, without the room
        hearing that the player left (the other node tells it the player is back)."""
        conn = self.connections.pop(body["session_id"], None)
        if conn is None or conn.closed:
            return
        conn.send(encode(error(codes.SESSION_REPLACED, "This session connected again elsewhere.")))
        self.presence.detach(conn)
        conn.close(codes.CLOSE_REPLACED, "replaced")

    async def _online_elsewhere(self, session_id: str) -> bool:
        try:
            return await self.node.session_node(session_id) is not None
        except ClusterUnavailable:
            return True  # not known: keep the seat

    # -- sockets on other nodes ------------------------------------------------------------------

    async def seated(self, session_id: str, room: Room) -> None:
        if session_id in self.connections:
            await super().seated(session_id, room)
            return
        pending = self._sending.get(session_id)
        if pending is not None:
            await asyncio.wait([pending])  # a frame sent to the session first arrives first
        try:
            where = await self.node.session_node(session_id)
        except ClusterUnavailable:
            return
        if where is not None and where != self.node.node_id:
            self.node.send(where, "seated", {"session_id": session_id, "room_id": room.room_id})

    def send_to(self, session_id: str, frame: ServerFrame) -> bool:
        if super().send_to(session_id, frame):
            return True
        previous = self._sending.get(session_id)
        task = asyncio.ensure_future(self._send_elsewhere(session_id, encode(frame), previous))
        self._sending[session_id] = task
        task.add_done_callback(lambda done: self._sent(session_id, done))
        return False

    def _sent(self, session_id: str, task: asyncio.Future[None]) -> None:
        if self._sending.get(session_id) is task:
            del self._sending[session_id]

    async def _send_elsewhere(self, session_id: str, text: str, after: asyncio.Future[None] | None) -> None:
        if after is not None:
            await asyncio.wait([after])  # frames for one session keep their order
        try:
            where = await self.node.session_node(session_id)
        except ClusterUnavailable:
            return
        if where is not None and where != self.node.node_id:
            self.node.send(where, "text", {"session_id": session_id, "text": text})

    async def _text(self, body: dict[str, Any], sender: str) -> None:
        conn = self.connections.get(body["session_id"])
        if conn is not None and not conn.closed:
            conn.send(body["text"])

    async def _seated(self, body: dict[str, Any], sender: str) -> None:
        room = await self.room_service.get_by_id(body["room_id"])
        if room is not None:
            await super().seated(body["session_id"], room)

    # -- rooms taken here ------------------------------------------------------------------------

    async def restore(self) -> int:
        """After a start: grace periods for the seats of the rooms this node took, whose players have
        no socket on any node."""
        started = 0
        for room_id in list(self.presence.outbox.rooms):
            started += await self._grace_for(room_id)
        return started

    async def _claimed(self, room_id: str) -> None:
        with contextlib.suppress(ClusterUnavailable):
            await self._grace_for(room_id)

    async def _grace_for(self, room_id: str) -> int:
        room = await self.room_service.get_by_id(room_id)
        if room is None:
            return 0
        people = [m for m in room.members if not m.bot and m.session_id not in self.connections]
        online = await self.node.sessions_online([m.session_id for m in people])
        chan = self.presence.channel(room.room_id, room.room_code)
        started = 0
        for member in people:
            if member.session_id not in online and member.session_id not in chan.grace:
                session = Session(member.session_id, member.username, member.joined_at)
                self.presence.start_grace(chan, session, room.config.reconnect_grace_seconds)
                started += 1
        self.presence.release(chan)
        return started

    # -- upkeep ------------------------------------------------------------------------------

    #: Whether the last upkeep found Redis out of reach (said once per outage in the log).
    _upkeep_failing = False

    async def upkeep(self) -> None:
        """Renew leases; take the rooms of this node's sockets that nobody owns; renew the socket
        locations of this node's sessions. Redis out of reach is one warning per outage, not an error
        each time (the leases it could not renew are kept until they run out by this node's clock)."""
        try:
            await self._upkeep()
        except (ClusterUnavailable, RedisError, OSError) as exc:
            if not self._upkeep_failing:
                log.warning("cluster upkeep: Redis is out of reach (%s); trying again", exc)
            self._upkeep_failing = True
            return
        if self._upkeep_failing:
            log.warning("cluster upkeep: Redis answers again")
        self._upkeep_failing = False

    async def _upkeep(self) -> None:
        outbox = self.presence.outbox
        await outbox.renew(now=self.clock())
        followed = {
            room_id: chan.room_code
            for room_id, chan in self.presence.channels.items()
            if room_id not in outbox.rooms
        }
        if followed:
            owners = await self.node.refresh_owners(list(followed))
            for room_id, owner in owners.items():
                if owner is None:
                    try:
                        await outbox.follow(room_id, followed[room_id])
                    except Exception:
                        log.exception("room %s: could not take it over", followed[room_id])
        await self.node.keep_sessions(list(self.connections))

    async def drain(self) -> None:
        """Stopping: close every socket with 1012, so its client reconnects (to another node) and resumes."""
        for conn in list(self.connections.values()):
            conn.close(CLOSE_RESTART, "server restarting")
