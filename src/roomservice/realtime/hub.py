"""The hub: every socket of this node, every room channel, and the one path frames take to clients.

Room operations (HTTP or socket) reach it as events after their transaction commits; the hub numbers
them with the room's ``seq``, encodes each once, keeps it for resume, and publishes it through the
broker. Presence follows the sockets: a dropped player keeps their seat for the room's grace period.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import msgspec

from roomservice.broker.base import Broker, Envelope
from roomservice.config import Settings
from roomservice.errors import RoomServiceError
from roomservice.protocol import codes
from roomservice.protocol.frames import Action, Chat, FrameError, Ping, Resume, decode, encode, error
from roomservice.realtime.channel import RoomChannel
from roomservice.realtime.connection import Close, Connection, SendText
from roomservice.realtime.ratelimit import TokenBucket
from roomservice.realtime.wire import Wire
from roomservice.rooms.events import RoomEvent
from roomservice.rooms.model import Room, iso
from roomservice.rooms.service import RoomService
from roomservice.sessions import Session
from roomservice.types import Clock, wall_clock

log = logging.getLogger(__name__)

#: Seconds a returning socket's live frames wait for its ``resume`` before they flow anyway.
RESUME_WINDOW = 2.0

#: Handles an ``action`` frame for a room whose game runs (set by the game engine).
ActionHandler = Callable[[Connection, RoomChannel, Action], Awaitable[None]]
#: Told when a member's socket attaches to their room (on connect, join or a fresh resume).
AttachHandler = Callable[[Connection, RoomChannel], None]
#: Told when a seated member goes offline or comes back: (room_id, session_id, online).
PresenceHandler = Callable[[str, str, bool], None]
#: Reads a room's saved chat lines, oldest first.
ChatLoader = Callable[[str], Awaitable[list[dict[str, Any]]]]


def _seq_of(text: str) -> int:
    seq = msgspec.json.decode(text).get("seq")
    return seq if isinstance(seq, int) else 0


class Hub:
    def __init__(
        self, settings: Settings, rooms: RoomService, broker: Broker, clock: Clock = wall_clock
    ) -> None:
        self.settings = settings
        self.rooms = rooms
        self.broker = broker
        self.clock = clock
        self.connections: dict[str, Connection] = {}
        self.channels: dict[str, RoomChannel] = {}
        self.on_action: ActionHandler | None = None
        self.on_attach: AttachHandler | None = None
        self.on_presence: PresenceHandler | None = None
        self.load_chat: ChatLoader | None = None
        #: Last seq of channels this node let go, so a room that comes back continues above it.
        self._seq_floor: dict[str, int] = {}
        #: Rooms that chatted since the last flush, with their recent lines (kept even if the channel goes).
        self._touched: dict[str, deque[dict[str, Any]]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- channels ----------------------------------------------------------------------------

    def channel(self, room_id: str, room_code: str) -> RoomChannel:
        chan = self.channels.get(room_id)
        if chan is None:
            # Above anything this node numbered before, and above a previous process's numbers too:
            # seqs start from the clock in milliseconds.
            first = max(int(time.time() * 1000), self._seq_floor.pop(room_id, 0) + 1)
            chan = RoomChannel(
                room_id, room_code, first, self.settings.resume_buffer, self.settings.chat_history
            )
            self.channels[room_id] = chan
            self.broker.subscribe(room_id, chan.deliver)
        return chan

    async def _history(self, chan: RoomChannel) -> None:
        """Read the room's saved chat into a channel this node has just opened. Callers await it
        before anything else, so events of one room still go out in the order they were handed in."""
        if chan.history_loaded or self.load_chat is None:
            return
        async with chan.history_lock:
            if chan.history_loaded:
                return
            saved = await self.load_chat(chan.room_id)
            merged = {line["seq"]: line for line in (*saved, *chan.chat)}
            chan.chat.clear()
            chan.chat.extend(merged[seq] for seq in sorted(merged))
            chan.history_loaded = True

    def _release(self, chan: RoomChannel, *, closed: bool = False) -> None:
        if not (closed or chan.idle):
            return
        for handle in chan.grace.values():
            handle.cancel()
        self.channels.pop(chan.room_id, None)
        self.broker.unsubscribe(chan.room_id)
        if not closed:
            self._seq_floor[chan.room_id] = chan.seq

    def publish(self, chan: RoomChannel, frame: dict[str, Any], to: str | None = None) -> int:
        """Number, encode (once), buffer and fan out one frame of a room."""
        seq = chan.next_seq()
        frame["seq"] = seq
        envelope = Envelope(chan.room_id, seq, encode(frame), to)
        chan.record(envelope)
        self.broker.publish(envelope)
        return seq

    def room_state(self, chan: RoomChannel, room: Room) -> dict[str, Any]:
        data = room.to_dict()
        online = set(chan.attached)
        for member in (*data["players"], *data["spectators"]):
            member["online"] = member["session_id"] in online
        return {
            "type": "room_state",
            "seq": chan.seq,
            "room": data,
            "players": data["players"],
            "chat": list(chan.chat),
        }

    def _attach(self, conn: Connection, room: Room, returning: bool = False) -> RoomChannel:
        chan = self.channel(room.room_id, room.room_code)
        if returning:
            conn.held = []
            asyncio.get_running_loop().call_later(RESUME_WINDOW, conn.release)
        conn.room_id = room.room_id
        conn.attached_seq = chan.seq
        chan.attached[conn.session_id] = conn
        conn.send_replay([encode(self.room_state(chan, room))])  # ahead of anything held
        if self.on_attach is not None:
            self.on_attach(conn, chan)
        return chan

    def _channel_of(self, conn: Connection) -> RoomChannel | None:
        """The channel the socket is attached to on this node, if any."""
        return self.channels.get(conn.room_id) if conn.room_id else None

    def _detach(self, conn: Connection) -> None:
        chan = self._channel_of(conn)
        conn.room_id = None
        if chan is not None and chan.attached.get(conn.session_id) is conn:
            del chan.attached[conn.session_id]

    # -- room events (the RoomEventSink) -----------------------------------------------------

    async def room_events(self, room: Room, events: Sequence[RoomEvent]) -> None:
        chan = self.channel(room.room_id, room.room_code)
        # The saved chat is read only when a socket here is about to get a room_state; events that
        # arrive while it is being read wait for it, so the room's order holds.
        if not chan.history_loaded and (
            chan.history_lock.locked()
            or any(
                e.frame["type"] == "player_joined" and e.frame["player"]["session_id"] in self.connections
                for e in events
            )
        ):
            await self._history(chan)
        for event in events:
            self.publish(chan, dict(event.frame), event.to)
            kind = event.frame["type"]
            if kind == "player_joined":
                sid = event.frame["player"]["session_id"]
                conn = self.connections.get(sid)
                if conn is not None and conn.room_id != room.room_id:
                    self._detach(conn)
                    self._attach(conn, room)
            elif kind == "player_left":
                sid = event.frame["session_id"]
                self._forget_presence(chan, sid)
                if (conn := chan.attached.get(sid)) is not None:
                    self._detach(conn)
        if any(e.frame["type"] == "room_closed" for e in events):
            self._touched.pop(room.room_id, None)
            for conn in list(chan.attached.values()):
                self._detach(conn)
            self._release(chan, closed=True)
            self._seq_floor.pop(room.room_id, None)
        else:
            self._release(chan)

    def _forget_presence(self, chan: RoomChannel, session_id: str) -> None:
        handle = chan.grace.pop(session_id, None)
        if handle is not None:
            handle.cancel()
        chan.offline.discard(session_id)

    # -- sockets -----------------------------------------------------------------------------

    def new_connection(
        self, session: Session, send: SendText, close: Close, wire: Wire | None = None
    ) -> Connection:
        bucket = TokenBucket(self.settings.ws_rate_limit, self.settings.ws_rate_burst, time.monotonic)
        return Connection(session, send, close, bucket, self.settings.ws_send_queue, wire)

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
            self._detach(old)
            old.close(codes.CLOSE_REPLACED, "replaced")
        self.connections[conn.session_id] = conn
        room = await self.rooms.room_of(conn.session_id)
        if room is None or self.connections.get(conn.session_id) is not conn:
            return True
        await self._history(self.channel(room.room_id, room.room_code))
        if self.connections.get(conn.session_id) is not conn:
            return True
        returning = old_room == room.room_id or (
            room.room_id in self.channels and conn.session_id in self.channels[room.room_id].offline
        )
        chan = self._attach(conn, room, returning)
        self._forget_presence(chan, conn.session_id)
        if old_room != room.room_id:  # a replaced socket hands over without the room noticing
            self.publish(
                chan,
                {
                    "type": "player_reconnected",
                    "session_id": conn.session_id,
                    "username": conn.session.username,
                },
            )
            if self.on_presence is not None:
                self.on_presence(room.room_id, conn.session_id, True)
        return True

    async def disconnect(self, conn: Connection) -> None:
        await conn.wait_closed()
        if self.connections.get(conn.session_id) is not conn:
            return  # replaced by a newer socket, which now owns the seat
        del self.connections[conn.session_id]
        chan = self._channel_of(conn)
        self._detach(conn)
        if chan is None:
            return
        # Marked offline before any await, so a socket that comes straight back is seen as returning.
        chan.offline.add(conn.session_id)
        self.publish(
            chan,
            {"type": "player_disconnected", "session_id": conn.session_id, "username": conn.session.username},
        )
        if self.on_presence is not None:
            self.on_presence(chan.room_id, conn.session_id, False)
        room = await self.rooms.room_of(conn.session_id)
        if conn.session_id not in chan.offline:
            return  # already back
        if room is None or room.room_id != chan.room_id:
            chan.offline.discard(conn.session_id)
            self._release(chan)
            return
        chan.grace[conn.session_id] = asyncio.get_running_loop().call_later(
            room.config.reconnect_grace_seconds, lambda: self._spawn(self._grace_over(chan, conn))
        )

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _grace_over(self, chan: RoomChannel, conn: Connection) -> None:
        chan.grace.pop(conn.session_id, None)
        if conn.session_id not in chan.offline or conn.session_id in self.connections:
            return
        try:
            await self.rooms.leave(conn.session, chan.room_code, reason="disconnected")
        except RoomServiceError:
            pass  # already gone
        except Exception:
            log.exception("could not release the seat of %s", conn.session_id)
        chan.offline.discard(conn.session_id)
        self._release(chan)

    # -- frames from clients -----------------------------------------------------------------

    async def receive(self, conn: Connection, text: str) -> None:
        if len(text) > self.settings.ws_max_frame:
            conn.close(codes.CLOSE_TOO_BIG, "frame too big")
            return
        if not conn.bucket.take():
            conn.refused_in_a_row += 1
            if conn.refused_in_a_row > self.settings.ws_abuse_limit or conn.bucket.flooding():
                conn.close(codes.CLOSE_POLICY, "rate limit")
            elif conn.refused_in_a_row == 1 or conn.refused_in_a_row % 10 == 0:
                conn.send(encode(error(codes.RATE_LIMITED, "Too many frames; slow down.")))
            return
        conn.refused_in_a_row = 0
        try:
            frame = decode(text)
            if conn.held is not None and not isinstance(frame, Resume):
                conn.release()
            await self._dispatch(conn, frame)
        except FrameError as exc:
            conn.send(encode(error(exc.code, exc.message, exc.ref)))

    def _room_of(self, conn: Connection, ref: str | int | None) -> RoomChannel:
        chan = self._channel_of(conn)
        if chan is None:
            raise FrameError(codes.NOT_IN_ROOM, "Join a room first.", ref)
        return chan

    async def _dispatch(self, conn: Connection, frame: Any) -> None:
        if isinstance(frame, Chat):
            chan = self._room_of(conn, frame.ref)
            message = {
                "type": "chat",
                "from": conn.session.username,
                "session_id": conn.session_id,
                "text": frame.text,
                "at": iso(self.clock()),
            }
            self.publish(chan, message)  # numbers the frame: it goes into the history with its seq
            chan.chat.append(message)
            self._touched[chan.room_id] = chan.chat
        elif isinstance(frame, Ping):
            pong: dict[str, Any] = {"type": "pong"}
            if frame.ref is not None:
                pong["ref"] = frame.ref
            conn.send(encode(pong))
        elif isinstance(frame, Resume):
            self._resume(conn, frame)
        elif isinstance(frame, Action):
            chan = self._room_of(conn, frame.ref)
            if self.on_action is None:
                raise FrameError(codes.GAME_NOT_STARTED, "No game is running in this room.", frame.ref)
            await self.on_action(conn, chan, frame)

    def _resume(self, conn: Connection, frame: Resume) -> None:
        chan = self._channel_of(conn)
        if chan is None or frame.room_code.strip().upper() != chan.room_code:
            conn.release()  # nothing to replay: let held live frames flow now
            raise FrameError(codes.NOT_IN_ROOM, "You are not in that room.", frame.ref)
        missed = chan.missed(conn.session_id, frame.last_seq, conn.attached_seq)
        if missed is None:
            self._spawn(self._fresh_state(conn, chan))
            return
        conn.release(envelope.text for envelope in missed)

    async def _fresh_state(self, conn: Connection, chan: RoomChannel) -> None:
        room = await self.rooms.room_of(conn.session_id)
        if room is not None and room.room_id == chan.room_id:
            # Frames held since attaching are newer than attached_seq but may be older than the new
            # state: send the state, then only the held frames it does not already cover.
            held, conn.held = conn.held or [], None
            conn.attached_seq = chan.seq
            conn.send_replay([encode(self.room_state(chan, room))])
            conn.send_replay(text for text in held if _seq_of(text) > conn.attached_seq)
            if self.on_attach is not None:
                self.on_attach(conn, chan)

    # -- upkeep ------------------------------------------------------------------------------

    async def flush_activity(self) -> None:
        """Save the recent chat of rooms that chatted, and their last_activity, in one transaction:
        off the hot path, and at a cost that does not grow with the chat rate."""
        touched, self._touched = self._touched, {}
        if touched:
            await self.rooms.touch({room_id: list(lines) for room_id, lines in touched.items()})

    async def close(self) -> None:
        for conn in list(self.connections.values()):
            conn.close(1001, "server shutting down")
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*self._tasks, return_exceptions=True)
