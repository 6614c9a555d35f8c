"""The hub: this node's sockets, from the handshake to the last frame.

It is made of three parts, each with one job: :class:`Presence` (which socket sits where, attaching,
grace periods), :class:`Dispatcher` (frames from clients) and the :class:`Outbox` it shares with the
rooms and the games (numbering, the resume buffer, fan-out through the broker).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable, Iterable

from roomservice.broker.base import Broker
from roomservice.config import Settings
from roomservice.model import Room, Session
from roomservice.protocol import codes
from roomservice.protocol.frames import encode
from roomservice.protocol.messages import ServerFrame, error
from roomservice.realtime.connection import Close, Connection, SendText
from roomservice.realtime.dispatch import Dispatcher
from roomservice.realtime.outbox import Outbox
from roomservice.realtime.ports import GameDesk, ProjectDesk, RoomDirectory
from roomservice.realtime.presence import Presence
from roomservice.realtime.ratelimit import TokenBucket
from roomservice.realtime.wire import Flushes, Wire
from roomservice.rooms.chat import ChatLog
from roomservice.scheduling import Scheduler
from roomservice.stats import Stats


class Hub:
    def __init__(
        self,
        settings: Settings,
        outbox: Outbox,
        broker: Broker,
        rooms: RoomDirectory,
        desk: GameDesk,
        chat: ChatLog,
        scheduler: Scheduler,
        projects: ProjectDesk | None = None,
        stats: Stats | None = None,
        online_elsewhere: Callable[[str], Awaitable[bool]] | None = None,
    ) -> None:
        """``online_elsewhere`` (several nodes): whether a session has a socket on another node, asked
        before a grace period gives up its seat."""
        self.settings = settings
        #: The workshop's open projects (rooms of their own on the same sockets).
        self.projects = projects
        #: This node's counters (None: metrics are off); its sockets count what they write.
        self.stats = stats
        self.presence = Presence(settings, outbox, broker, rooms, desk, chat, scheduler, online_elsewhere)
        #: The outbox's live lobby: it follows the rooms, the hub's sockets subscribe to it.
        self.lobby = outbox.lobby
        self.dispatcher = Dispatcher(
            settings, self.presence, outbox, desk, chat, scheduler, projects=projects, stats=stats
        )
        #: Sockets written directly that have frames queued in this event-loop pass.
        self.flushes = Flushes()

    @property
    def connections(self) -> dict[str, Connection]:
        return self.presence.connections

    def new_connection(
        self, session: Session, send: SendText | None, close: Close | None, wire: Wire | None = None
    ) -> Connection:
        """A socket's connection: ``send`` and ``close`` are its ASGI calls, unused with a ``wire``.
        It counts as open until :meth:`disconnect`."""
        if self.stats is not None:
            self.stats.sockets_open += 1
        bucket = TokenBucket(self.settings.ws_rate_limit, self.settings.ws_rate_burst, time.monotonic)
        return Connection(
            session, send, close, bucket, self.settings.ws_send_queue, wire, self.flushes, self.stats
        )

    async def connect(self, conn: Connection) -> bool:
        """Register a socket; False when it was refused because the session already has one."""
        return await self.presence.connect(conn)

    def receive(self, conn: Connection, text: str) -> None:
        """Handle one message of the socket, before the next is read."""
        self.dispatcher.receive(conn, text)

    def receiver(self, conn: Connection) -> Callable[[str], None]:
        """``receive`` for one socket, for a wire to call with each message."""
        return functools.partial(self.dispatcher.receive, conn)

    def closer(self, conn: Connection) -> Callable[[], None]:
        """What a wire calls when the socket has ended: the hub lets it go."""

        return lambda: self.presence.spawn(self.disconnect(conn))

    async def disconnect(self, conn: Connection) -> None:
        if self.stats is not None:
            self.stats.sockets_open -= 1
        self.lobby.unsubscribe(conn)
        await self.presence.disconnect(conn)
        if self.projects is not None:
            await self.projects.disconnected(conn)

    async def seated(self, session_id: str, room: Room) -> None:
        """A room operation seated ``session_id`` in ``room``: its socket follows."""
        await self.presence.seated(session_id, room)

    def send_to(self, session_id: str, frame: ServerFrame) -> bool:
        """Send one frame to a session's socket on this node, outside any room (not numbered, not
        kept for resume); False when it has none here."""
        conn = self.presence.connections.get(session_id)
        if conn is None or conn.closed:
            return False
        conn.send(encode(frame))
        return True

    def sign_out(self, session_ids: Iterable[str]) -> int:
        """Close the sockets these sessions have on this node (their tokens were revoked): an
        ``error signed_out`` frame, then close code 4001. Their seats get the reconnect grace as after
        any drop. Returns how many sockets were closed."""
        closed = 0
        for session_id in session_ids:
            conn = self.presence.connections.get(session_id)
            if conn is None or conn.closed:
                continue
            conn.send(encode(error(codes.SIGNED_OUT, "This session was signed out.")))
            conn.close(codes.CLOSE_UNAUTHORIZED, codes.SIGNED_OUT)
            closed += 1
        return closed

    async def restore(self) -> int:
        """Start a grace period for every seated member (none has a socket after a start)."""
        return await self.presence.restore()

    async def close(self) -> None:
        await self.presence.close()
