"""Sockets and where they sit: one socket per session, attached to the channel of its room, and the
grace period a dropped player keeps their seat for.

A socket attaches when it connects (to the room its session sits in), when its session is seated
(``seated``, after a create or a join) or when it resumes too late for a replay. Membership frames that
come through a room's channel detach sockets (``player_left``, ``room_closed``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from roomservice.broker.base import Broker, Envelope
from roomservice.config import Settings
from roomservice.errors import RoomServiceError
from roomservice.model import Room, Session
from roomservice.protocol import codes, messages
from roomservice.protocol.messages import encode, error
from roomservice.realtime.channel import RoomChannel
from roomservice.realtime.connection import Connection
from roomservice.realtime.outbox import Outbox
from roomservice.realtime.ports import GameDesk, RoomDirectory
from roomservice.rooms.chat import ChatLog
from roomservice.scheduling import Scheduler

log = logging.getLogger(__name__)

#: Seconds a returning socket's live frames wait for its ``resume`` before they flow anyway.
RESUME_WINDOW = 2.0


def _seq_of(text: str) -> int:
    seq = msgspec.json.decode(text).get("seq")
    return seq if isinstance(seq, int) else 0


class Presence:
    def __init__(
        self,
        settings: Settings,
        outbox: Outbox,
        broker: Broker,
        rooms: RoomDirectory,
        desk: GameDesk,
        chat: ChatLog,
        scheduler: Scheduler,
        online_elsewhere: Callable[[str], Awaitable[bool]] | None = None,
    ) -> None:
        self.settings = settings
        self.outbox = outbox
        self.broker = broker
        self.rooms = rooms
        self.desk = desk
        self.chat = chat
        self.scheduler = scheduler
        self.connections: dict[str, Connection] = {}
        self.channels: dict[str, RoomChannel] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        #: Several nodes: whether a session has a socket on some node, asked before a grace period
        #: gives up its seat (the player may have come back through another node).
        self.online_elsewhere = online_elsewhere

    # -- channels ----------------------------------------------------------------------------

    def channel(self, room_id: str, room_code: str) -> RoomChannel:
        chan = self.channels.get(room_id)
        if chan is None:
            chan = RoomChannel(room_id, room_code, self._membership)
            self.channels[room_id] = chan
            self.broker.subscribe(room_id, chan.deliver)
        return chan

    def channel_of(self, conn: Connection) -> RoomChannel | None:
        """The channel the socket is attached to on this node, if any."""
        return self.channels.get(conn.room_id) if conn.room_id else None

    def release(self, chan: RoomChannel, *, closed: bool = False) -> None:
        """Let a channel go once nobody here is attached or waiting to come back."""
        if not (closed or chan.idle):
            return
        for timer in chan.grace.values():
            timer.cancel()
        chan.grace.clear()
        if self.channels.get(chan.room_id) is chan:
            del self.channels[chan.room_id]
            self.broker.unsubscribe(chan.room_id, chan.deliver)
        if closed:
            self.chat.forget(chan.room_id)
        else:
            self.chat.release(chan.room_id)

    def _membership(self, chan: RoomChannel, envelope: Envelope) -> None:
        if envelope.kind == "player_left" and envelope.subject is not None:
            self.forget_presence(chan, envelope.subject)
            conn = chan.attached.get(envelope.subject)
            if conn is not None:
                self.detach(conn)
            self.release(chan)
        elif envelope.kind == "room_closed":
            for conn in list(chan.attached.values()):
                self.detach(conn)
            self.release(chan, closed=True)

    # -- attaching ---------------------------------------------------------------------------

    def room_state(
        self, chan: RoomChannel, room: Room, seq: int
    ) -> messages.RoomState[dict[str, Any], dict[str, Any], msgspec.Raw]:
        data = room.to_dict()
        online = chan.attached
        for member in (*data["players"], *data["spectators"]):
            member["online"] = member["bot"] or member["session_id"] in online  # a bot needs no socket
        return messages.RoomState(
            seq=seq, room=data, players=data["players"], chat=self.chat.recent(room.room_id)
        )

    async def prepare(self, room: Room) -> RoomChannel:
        """Everything attaching needs that takes I/O: the room's log and its saved chat. On a node that
        does not own the room (several nodes): the room's channel heard from the owner, its last seq,
        and its chat as last saved (the owner keeps the lines in between)."""
        remote = self.outbox.remote
        if await self.outbox.follow(room.room_id, room.room_code) is not None or remote is None:
            await self.chat.lines(room.room_id)
            return self.channel(room.room_id, room.room_code)
        chan = self.channel(room.room_id, room.room_code)
        await self.broker.flush()  # the owner's frames reach this node from now on
        chan.base_seq = await remote.last_seq(room.room_id)
        self.chat.forget(room.room_id)
        await self.chat.lines(room.room_id)
        return chan

    def attach(self, conn: Connection, room: Room, *, returning: bool = False) -> RoomChannel:
        """Attach a socket to its prepared room and send it the room's state. No await in here, so no
        frame of the room can slip between the state and what follows it."""
        chan = self.channel(room.room_id, room.room_code)
        room_log = self.outbox.get(room.room_id)
        seq = room_log.seq if room_log is not None else chan.base_seq
        if returning:
            conn.held = []
            self.scheduler.call_later(RESUME_WINDOW, conn.release)
        conn.room_id = room.room_id
        conn.room_code = room.room_code
        conn.attached_seq = seq
        chan.attached[conn.session_id] = conn
        conn.send_replay([encode(self.room_state(chan, room, seq))])  # ahead of anything held
        self.desk.attached(room.room_id, conn.session_id)
        return chan

    def detach(self, conn: Connection) -> None:
        chan = self.channel_of(conn)
        conn.room_id = None
        conn.room_code = None
        if chan is not None and chan.attached.get(conn.session_id) is conn:
            del chan.attached[conn.session_id]

    async def seated(self, session_id: str, room: Room) -> None:
        """``session_id`` now sits in ``room`` (it created or joined it): its socket here, if any,
        follows it there at once."""
        conn = self.connections.get(session_id)
        if conn is None or conn.room_id == room.room_id:
            return
        await self.prepare(room)
        if self.connections.get(session_id) is not conn or conn.closed or conn.room_id == room.room_id:
            return
        self.detach(conn)
        self.attach(conn, room)

    async def fresh_state(self, conn: Connection, chan: RoomChannel) -> None:
        """Send a socket whose ``resume`` came too late the room as it stands now."""
        room = await self.rooms.room_of(conn.session_id)
        room_log = self.outbox.get(chan.room_id)
        remote = self.outbox.remote
        if room is None or room.room_id != chan.room_id or (room_log is None and remote is None):
            conn.release()
            return
        if room_log is not None:
            seq = room_log.seq
        else:
            assert remote is not None
            seq = await remote.last_seq(chan.room_id)
        # Frames held since attaching are newer than attached_seq but may be older than the new
        # state: send the state, then only the held frames it does not already cover.
        held, conn.held = conn.held or [], None
        conn.attached_seq = seq
        conn.send_replay([encode(self.room_state(chan, room, seq))])
        conn.send_replay(text for text in held if _seq_of(text) > conn.attached_seq)
        self.desk.attached(room.room_id, conn.session_id)

    # -- sockets coming and going ------------------------------------------------------------

    def forget_presence(self, chan: RoomChannel, session_id: str) -> None:
        timer = chan.grace.pop(session_id, None)
        if timer is not None:
            timer.cancel()
        chan.offline.discard(session_id)

    def _publish(self, chan: RoomChannel, frame: messages.RoomFrame) -> None:
        room_log = self.outbox.get(chan.room_id)
        if room_log is not None:
            self.outbox.publish(room_log, frame)
        elif self.outbox.remote is not None:
            self.outbox.remote.publish(chan.room_id, chan.room_code, frame)

    async def resume_elsewhere(self, conn: Connection, chan: RoomChannel, after: int) -> None:
        """Replay to a returning socket what it missed of a room another node owns (several nodes),
        from the room's shared log; a fresh state when the log no longer reaches back that far."""
        remote = self.outbox.remote
        missed = await remote.since(chan.room_id, after) if remote is not None else None
        if missed is None:
            await self.fresh_state(conn, chan)
            return
        upto, session_id = conn.attached_seq, conn.session_id
        conn.release(
            text for e in missed if after < e.seq <= upto and (text := e.text_for(session_id)) is not None
        )

    async def connect(self, conn: Connection) -> bool:
        """Register a socket; False when it was refused because the session already has one."""
        old = self.connections.get(conn.session_id)
        old_room = old.room_id if old is not None and not old.closed else None
        if old is not None and not old.closed:
            if self.settings.ws_session_conflict == "refuse":
                conn.send(encode(error(codes.ALREADY_CONNECTED, "This session already has a socket open.")))
                conn.close(codes.CLOSE_ALREADY_CONNECTED, "already connected")
                return False
            old.send(encode(error(codes.SESSION_REPLACED, "This session connected again elsewhere.")))
            self.detach(old)
            old.close(codes.CLOSE_REPLACED, "replaced")
        self.connections[conn.session_id] = conn
        room = await self.rooms.room_of(conn.session_id)
        if room is None or self.connections.get(conn.session_id) is not conn:
            return True
        chan = await self.prepare(room)
        if self.connections.get(conn.session_id) is not conn or conn.room_id == room.room_id:
            return True
        returning = old_room == room.room_id or conn.session_id in chan.offline
        self.attach(conn, room, returning=returning)
        self.forget_presence(chan, conn.session_id)
        if old_room != room.room_id:  # a replaced socket hands over without the room noticing
            self._publish(
                chan,
                messages.PlayerReconnected(session_id=conn.session_id, username=conn.session.username),
            )
            self.desk.presence(room.room_id, conn.session_id, True)
        return True

    async def disconnect(self, conn: Connection) -> None:
        await conn.wait_closed()
        if self.connections.get(conn.session_id) is not conn:
            return  # replaced by a newer socket, which now owns the seat
        del self.connections[conn.session_id]
        chan = self.channel_of(conn)
        self.detach(conn)
        if chan is None:
            return
        # Marked offline before any await, so a socket that comes straight back is seen as returning.
        chan.offline.add(conn.session_id)
        self._publish(
            chan, messages.PlayerDisconnected(session_id=conn.session_id, username=conn.session.username)
        )
        self.desk.presence(chan.room_id, conn.session_id, False)
        room = await self.rooms.room_of(conn.session_id)
        if conn.session_id not in chan.offline:
            return  # already back
        if room is None or room.room_id != chan.room_id:
            chan.offline.discard(conn.session_id)
            self.release(chan)
            return
        self.start_grace(chan, conn.session, room.config.reconnect_grace_seconds)

    def start_grace(self, chan: RoomChannel, session: Session, seconds: float) -> None:
        """Keep ``session``'s seat for ``seconds``, then give it up unless its socket came back."""
        chan.offline.add(session.session_id)
        old = chan.grace.pop(session.session_id, None)
        if old is not None:
            old.cancel()
        chan.grace[session.session_id] = self.scheduler.call_later(
            seconds, lambda: self.spawn(self._grace_over(chan, session))
        )

    async def restore(self) -> int:
        """After a start, nobody has a socket yet: every seated member gets a fresh grace period, as if
        their socket had just dropped, so a player who never comes back does not keep the seat (or
        the host's role) until the room expires. Bots have no socket to wait for: they are always
        connected. Returns how many grace periods started."""
        started = 0
        for room in await self.rooms.occupied():
            chan = self.channel(room.room_id, room.room_code)
            waiting = 0
            for member in room.members:
                if not member.bot and member.session_id not in self.connections:
                    session = Session(member.session_id, member.username, member.joined_at)
                    self.start_grace(chan, session, room.config.reconnect_grace_seconds)
                    waiting += 1
            if waiting:
                log.info(
                    "room %s: restored, %d seat(s) kept %d s for their players' sockets",
                    room.room_code,
                    waiting,
                    room.config.reconnect_grace_seconds,
                    extra={"room": room.room_code},
                )
            started += waiting
            self.release(chan)
        return started

    def spawn(self, coro: Awaitable[Any]) -> None:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _grace_over(self, chan: RoomChannel, session: Session) -> None:
        session_id = session.session_id
        chan.grace.pop(session_id, None)
        if session_id not in chan.offline or session_id in self.connections:
            return
        if self.online_elsewhere is not None and await self.online_elsewhere(session_id):
            chan.offline.discard(session_id)
            self.release(chan)
            return
        log.info(
            "room %s: session %s did not come back within its grace period; its seat is given up",
            chan.room_code,
            session_id,
            extra={"room": chan.room_code, "session": session_id},
        )
        try:
            await self.rooms.leave(session, chan.room_code, reason="disconnected")
        except RoomServiceError:
            pass  # already gone
        except Exception:
            log.exception("room %s: could not release the seat of %s", chan.room_code, session_id)
        chan.offline.discard(session_id)
        self.release(chan)

    async def close(self) -> None:
        for conn in list(self.connections.values()):
            conn.close(1001, "server shutting down")
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
