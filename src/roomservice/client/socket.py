"""The client socket: one WebSocket per session that survives dropped connections.

It remembers the last ``seq`` it delivered for its room. When the connection drops (anything but a
close code that means "stop"), it reconnects with backoff and sends ``resume {room_code, last_seq}``
as its first frame, so the server replays exactly what was missed before any newer frame. Frames that
would repeat a seq already delivered are dropped, as a safety net.

Events arrive in one stream, read either with ``async for event in socket`` or with
:meth:`Socket.wait_for`; both take from the same stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import itertools
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, TypeVar, overload

import msgspec
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from roomservice.client.errors import SocketClosed
from roomservice.client.events import (
    CollaboratorJoined,
    CollaboratorLeft,
    EditApplied,
    Error,
    Event,
    Kicked,
    MetaChanged,
    PlayerLeft,
    Pong,
    ProjectClosed,
    ProjectSnapshot,
    RoomClosed,
    RoomState,
    Saved,
    decode,
    seq_of,
    type_of,
)
from roomservice.protocol import codes

log = logging.getLogger(__name__)

#: Frames of the open project's room, numbered apart from the game room's.
_PROJECT_FRAMES = (ProjectSnapshot, CollaboratorJoined, CollaboratorLeft, EditApplied, MetaChanged, Saved)

#: Close codes after which reconnecting would be wrong: bad token, replaced by a newer socket of the
#: session, refused because one is already open, rate-limit abuse, frame too big.
STOP_CODES = frozenset(
    {
        codes.CLOSE_UNAUTHORIZED,
        codes.CLOSE_REPLACED,
        codes.CLOSE_ALREADY_CONNECTED,
        codes.CLOSE_POLICY,
        codes.CLOSE_TOO_BIG,
    }
)

E = TypeVar("E", bound=Event)

_END = object()

_encoder = msgspec.json.Encoder()


def _encode(frame: Mapping[str, Any]) -> str:
    """A client frame as the text sent on the wire."""
    return _encoder.encode(frame).decode()


class SocketState(enum.StrEnum):
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    CLOSED = "closed"


class Socket:
    """A connected socket; get one with :meth:`roomservice.client.Client.connect`.

    ``reconnect_delay`` is the first wait before reconnecting, doubled per failed attempt up to
    ``max_reconnect_delay`` (seconds, with jitter); ``max_reconnects`` bounds the attempts per outage
    (None: keep trying until :meth:`close`). ``sleep`` waits out each reconnect delay (default
    :func:`asyncio.sleep`); passing another lets a program, or a test, decide when a reconnect happens
    instead of waiting for real time.
    """

    def __init__(
        self,
        url: str,
        token: str,
        session_id: str | None = None,
        *,
        reconnect_delay: float = 0.1,
        max_reconnect_delay: float = 5.0,
        max_reconnects: int | None = None,
        open_timeout: float = 10.0,
        max_size: int = 2**22,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.url = url
        self.session_id = session_id
        self.reconnect_delay = reconnect_delay
        self.max_reconnect_delay = max_reconnect_delay
        self.max_reconnects = max_reconnects
        self._sleep = sleep
        self._headers = {"Authorization": f"Bearer {token}"}
        self._open_timeout = open_timeout
        self._max_size = max_size
        self._ws: ClientConnection | None = None
        self._state = SocketState.RECONNECTING
        self._ready = asyncio.Event()
        self._events: asyncio.Queue[Any] = asyncio.Queue()
        self._stopped: SocketClosed | None = None
        self._reader: asyncio.Task[None] | None = None
        self._refs = itertools.count(1)
        self._pings: dict[str, asyncio.Future[None]] = {}
        #: Refs of pings the socket sends for itself: their pongs stay out of the stream.
        self._quiet: set[str] = set()
        #: The room whose frames this socket receives, and the last seq delivered per room.
        self._room: str | None = None
        self._last_seq: dict[str, int] = {}
        #: While resuming: the room, and the ref of the ``resume`` frame.
        self._resuming: str | None = None
        self._resume_ref: str | None = None
        self._last_error: str | None = None
        self._hello_ref: str | None = None
        #: The lobby followed (``lobby_subscribe``'s frame), subscribed again after a reconnect.
        self._lobby: dict[str, Any] | None = None
        #: The open project and the last seq delivered of it, opened again after a reconnect.
        self._project: str | None = None
        self._project_seq = -1
        #: How many times the socket came back after a dropped connection.
        self.reconnects = 0

    # -- state ---------------------------------------------------------------------------------

    @property
    def state(self) -> SocketState:
        return self._state

    @property
    def connected(self) -> bool:
        return self._state is SocketState.CONNECTED

    @property
    def reconnecting(self) -> bool:
        return self._state is SocketState.RECONNECTING

    @property
    def stopped(self) -> SocketClosed | None:
        """Why the socket stopped for good (its close code, reason and the server's last error
        code), or None while it is connected or reconnecting."""
        return self._stopped

    @property
    def room_code(self) -> str | None:
        """The room this socket receives frames for (the last ``room_state``), if any."""
        return self._room

    async def wait_connected(self, timeout: float | None = 10.0) -> None:
        """Wait until the socket is connected (again, after a drop). Raises :class:`SocketClosed`
        when it stopped instead, ``TimeoutError`` after ``timeout`` seconds."""
        async with asyncio.timeout(timeout):
            await self._ready.wait()
        if self._stopped is not None:
            raise self._stopped

    def last_seq(self, room_code: str | None = None) -> int | None:
        """The last seq delivered for ``room_code`` (default: the current room)."""
        code = room_code or self._room
        return self._last_seq.get(code) if code else None

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the first connection and wait until the server has registered it, so that a seated
        session's ``room_state`` is already the first event. Errors (server down, refused handshake)
        are raised here, and :class:`SocketClosed` when the server turns the socket away (4001)."""
        self._ws = await self._open()
        self._set_connected()
        self._reader = asyncio.create_task(self._run(), name="roomservice-socket")
        hello = self._pings.get(self._hello_ref or "")
        if hello is not None:
            await asyncio.wait_for(asyncio.shield(hello), self._open_timeout)

    async def close(self) -> None:
        """Close for good. Events already received can still be read; the stream then ends."""
        if self._stopped is not None and self._reader is None:
            return
        self._finish(SocketClosed(1000, "closed by the client"))
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
            self._reader = None
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()

    async def __aenter__(self) -> Socket:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def _open(self) -> ClientConnection:
        ws = await connect(
            self.url,
            additional_headers=self._headers,
            open_timeout=self._open_timeout,
            max_size=self._max_size,
        )
        if self._room is not None and self._room in self._last_seq:
            # First frame on the new connection: the server holds newer frames until it has
            # replayed what came after last_seq.
            self._resuming = self._room
            self._resume_ref = f"resume-{next(self._refs)}"
            frame = {
                "type": "resume",
                "room_code": self._room,
                "last_seq": self._last_seq[self._room],
                "ref": self._resume_ref,
            }
        else:
            # Nothing to resume. The server may still hold live frames for a session it saw drop,
            # waiting for a resume; any other frame lets them flow at once.
            ref = f"hello-{next(self._refs)}"
            if self._reader is None:  # the first connection: start() waits for the pong
                self._hello_ref = ref
                self._pings[ref] = asyncio.get_running_loop().create_future()
            else:
                self._quiet.add(ref)
            frame = {"type": "ping", "ref": ref}
        with contextlib.suppress(ConnectionClosed):  # the reader sees the close and acts on it
            await ws.send(_encode(frame))
            if self._lobby is not None and self._reader is not None:
                # The lobby feed is not resumable: a fresh snapshot replaces what was missed.
                await ws.send(_encode(self._lobby))
            if self._project is not None and self._reader is not None:
                # Within the reconnect grace this replays what was missed; later, a new snapshot.
                reopen = {"type": "project_open", "project_id": self._project, "last_seq": self._project_seq}
                await ws.send(_encode(reopen))
        return ws

    def _set_connected(self) -> None:
        self._state = SocketState.CONNECTED
        self._ready.set()

    async def _run(self) -> None:
        try:
            while True:
                ws = self._ws
                assert ws is not None
                try:
                    while True:
                        self._handle(await ws.recv())
                except ConnectionClosed as exc:
                    closed = exc.rcvd
                code = closed.code if closed is not None else 1006
                if code in STOP_CODES:
                    self._finish(SocketClosed(code, closed.reason if closed else "", self._last_error))
                    return
                log.info("socket dropped (%s); reconnecting", code)
                self._state = SocketState.RECONNECTING
                self._ready.clear()
                self._ws = await self._reconnect()
                if self._ws is None:
                    self._finish(SocketClosed(code, "could not reconnect", self._last_error))
                    return
                self.reconnects += 1
                self._set_connected()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug here must end the stream, not hang its readers
            log.exception("socket reader failed")
            self._finish(SocketClosed(1011, f"client error: {exc!r}", self._last_error))

    async def _reconnect(self) -> ClientConnection | None:
        for attempt in itertools.count():
            if self.max_reconnects is not None and attempt >= self.max_reconnects:
                return None
            delay = min(self.max_reconnect_delay, self.reconnect_delay * 2**attempt)
            await self._sleep(delay * random.uniform(0.5, 1.0))
            try:
                return await self._open()
            except (OSError, TimeoutError, InvalidHandshake, ConnectionClosed) as exc:
                log.info("reconnect attempt %d failed: %r", attempt + 1, exc)
        raise AssertionError("unreachable")

    def _finish(self, reason: SocketClosed) -> None:
        if self._stopped is not None:
            return
        self._stopped = reason
        self._state = SocketState.CLOSED
        self._ready.set()  # wakes senders, who then see the socket is closed
        self._events.put_nowait(_END)
        for waiter in self._pings.values():
            if not waiter.done():
                waiter.set_exception(reason)
                waiter.exception()  # retrieved: a ping nobody awaits any more must not warn

    # -- receiving -----------------------------------------------------------------------------

    def _handle(self, data: str | bytes) -> None:
        try:
            event = decode(data)
        except msgspec.DecodeError:
            log.warning("ignoring a frame that is not JSON: %.80r", data)
            return
        if isinstance(event, RoomState):
            code = event.room.room_code
            resuming, self._resuming = self._resuming, None
            self._room = code
            if resuming == code:
                # The snapshot sent on attach: the replay that follows brings the stream up to date.
                return
            self._last_seq[code] = event.seq
            self._deliver(event)
            return
        if isinstance(event, _PROJECT_FRAMES):
            if event.seq:  # 0: not numbered (a save that found nothing to write)
                if not isinstance(event, ProjectSnapshot) and event.seq <= self._project_seq:
                    return  # already delivered
                self._project_seq = event.seq
            self._deliver(event)
            return
        if isinstance(event, ProjectClosed):
            self._project = None
        seq = seq_of(event)
        if seq is not None and self._room is not None:
            if seq <= self._last_seq.get(self._room, -1):
                return  # already delivered
            self._last_seq[self._room] = seq
        if isinstance(event, Pong) and isinstance(event.ref, str):
            if event.ref in self._quiet:
                self._quiet.discard(event.ref)
                return
            if event.ref in self._pings:
                waiter = self._pings.pop(event.ref)
                if not waiter.done():
                    waiter.set_result(None)
                return
        if isinstance(event, Error) and event.ref is not None and event.ref == self._resume_ref:
            # The room could not be resumed (the seat is gone): nothing to resume next time.
            self._resuming = self._resume_ref = None
            self._room = None
        if isinstance(event, RoomClosed) or (
            isinstance(event, PlayerLeft | Kicked) and event.session_id == self.session_id
        ):
            self._room = None  # the server sends nothing more from this room
        self._deliver(event)

    def _deliver(self, event: Event) -> None:
        self._last_error = event.code if isinstance(event, Error) else None
        self._events.put_nowait(event)

    def __aiter__(self) -> Socket:
        return self

    async def __anext__(self) -> Event:
        try:
            return await self.next()
        except SocketClosed:
            raise StopAsyncIteration from None

    async def next(self, timeout: float | None = None) -> Event:
        """The next event; raises :class:`SocketClosed` once the socket has stopped and every
        event received before that has been read, ``TimeoutError`` after ``timeout`` seconds."""
        async with asyncio.timeout(timeout):
            item = await self._events.get()
        if item is _END:
            self._events.put_nowait(_END)  # every later read ends too
            assert self._stopped is not None
            raise self._stopped
        event: Event = item
        return event

    @overload
    async def wait_for(
        self, kind: type[E], predicate: Callable[[E], bool] | None = None, timeout: float | None = 10.0
    ) -> E: ...

    @overload
    async def wait_for(
        self, kind: str, predicate: Callable[[Event], bool] | None = None, timeout: float | None = 10.0
    ) -> Event: ...

    async def wait_for(
        self, kind: Any, predicate: Callable[[Any], bool] | None = None, timeout: float | None = 10.0
    ) -> Any:
        """Read events until one of ``kind`` (an event class or a frame type such as ``"chat"``)
        for which ``predicate`` holds; the events read before it are consumed. Raises
        ``TimeoutError`` or :class:`SocketClosed`."""
        async with asyncio.timeout(timeout):
            while True:
                event = await self.next()
                matches = isinstance(event, kind) if isinstance(kind, type) else type_of(event) == kind
                if matches and (predicate is None or predicate(event)):
                    return event

    # -- sending -------------------------------------------------------------------------------

    async def send(self, frame: dict[str, Any]) -> None:
        """Send one client frame. While reconnecting it waits for the connection; a frame the
        dropped connection refused is sent on the next one. Raises :class:`SocketClosed`."""
        text = _encode(frame)
        while True:
            await self._ready.wait()
            if self._stopped is not None:
                raise self._stopped
            ws = self._ws
            assert ws is not None
            try:
                await ws.send(text)
                return
            except ConnectionClosed:
                if self._ws is ws and self._stopped is None:
                    self._ready.clear()  # the reader is about to notice and reconnect

    async def chat(self, text: str, ref: str | int | None = None) -> None:
        await self.send(_with_ref({"type": "chat", "text": text}, ref))

    async def action(self, payload: Any, ref: str | int | None = None) -> None:
        """A game move; a refused one comes back as an :class:`Error` event carrying ``ref``."""
        await self.send(_with_ref({"type": "action", "payload": payload}, ref))

    async def subscribe_lobby(self, game: str | None = None) -> None:
        """Follow the public rooms (of ``game``, or of every game): a :class:`LobbySnapshot` event
        first, then :class:`LobbyRoomAdded`, :class:`LobbyRoomUpdated` and :class:`LobbyRoomRemoved`.
        After a reconnect the socket subscribes again and a new snapshot follows."""
        frame: dict[str, Any] = {"type": "lobby_subscribe"}
        if game is not None:
            frame["game"] = game
        self._lobby = frame
        await self.send(frame)

    async def unsubscribe_lobby(self) -> None:
        self._lobby = None
        await self.send({"type": "lobby_unsubscribe"})

    # -- the workshop (docs/workshop.md) ----------------------------------------------------------

    async def open_project(self, project_id: str, last_seq: int | None = None) -> None:
        """Open a project: a :class:`ProjectSnapshot` event follows (or, with the ``last_seq`` this
        socket last saw of it, within the reconnect grace, the frames missed since)."""
        frame: dict[str, Any] = {"type": "project_open", "project_id": project_id}
        if last_seq is not None:
            frame["last_seq"] = last_seq
        self._project, self._project_seq = project_id, -1 if last_seq is None else last_seq
        await self.send(frame)

    async def leave_project(self) -> None:
        self._project = None
        await self.send({"type": "project_leave"})

    async def edit(self, op: dict[str, Any], ref: str | int | None = None) -> None:
        """An edit of the open project, e.g. ``{"kind": "place", "x": 0, "y": 0, "z": 0, "color":
        "#ff0000"}``; it comes back as an :class:`EditApplied` carrying ``ref``, or an ``Error``."""
        await self.send(_with_ref({"type": "edit", "op": op}, ref))

    async def undo(self, ref: str | int | None = None) -> None:
        await self.send(_with_ref({"type": "undo"}, ref))

    async def redo(self, ref: str | int | None = None) -> None:
        await self.send(_with_ref({"type": "redo"}, ref))

    async def save(self, ref: str | int | None = None) -> None:
        await self.send(_with_ref({"type": "save"}, ref))

    async def cursor(self, cell: tuple[int, int, int] | None) -> None:
        """Show the others where this collaborator points (None: nowhere)."""
        x, y, z = cell if cell is not None else (None, None, None)
        await self.send({"type": "cursor", "x": x, "y": y, "z": z})

    async def meta_change(self, ref: str | int | None = None, **attributes: Any) -> None:
        """``name``, ``description``, ``collaborators`` (a list of usernames) or ``owner``."""
        await self.send(_with_ref({"type": "meta_change", **attributes}, ref))

    async def ping(self, timeout: float = 10.0) -> float:
        """Round trip to the server and back, in seconds (the ``pong`` is not put in the stream)."""
        ref = f"ping-{next(self._refs)}"
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pings[ref] = waiter
        started = time.monotonic()
        try:
            await self.send({"type": "ping", "ref": ref})
            await asyncio.wait_for(waiter, timeout)
        finally:
            self._pings.pop(ref, None)
        return time.monotonic() - started


def _with_ref(frame: dict[str, Any], ref: str | int | None) -> dict[str, Any]:
    if ref is not None:
        frame["ref"] = ref
    return frame
