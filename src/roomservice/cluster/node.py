"""One node of a cluster: how it reaches the other nodes through Redis.

Each node has an inbox, the broker channel ``node:<node id>`` (so ``<prefix>room:node:<id>`` in Redis),
and every message between nodes is an envelope on the receiver's inbox: ``kind`` names the message,
``text`` is its JSON body. Messages from one node to another arrive in the order they were sent.

What goes between nodes:

- to a room's owner: a committed room operation's events to number (``events``, answered once sent),
  a frame to number (``frame``: chat lines, a socket gone or back), a member's action (``act``), a
  socket's presence and (re)attachment (``presence``, ``attached``), and the owner-only operations
  ``start``, ``end`` and ``settle`` (``call``, answered by ``result``);
- to the node holding a session's socket: a frame for that socket alone (``text``), "your session
  now sits in this room" (``seated``), and "a newer socket of your session opened elsewhere"
  (``replaced``).

Socket tickets are ``<prefix>ticket:<ticket>`` = token, for 30 seconds, deleted as they are redeemed,
so a page may get its ticket from one node and open its socket on another.

Who holds a session's socket is the key ``<prefix>sock:<session id>`` = node id, with a time-to-live
of ``SESSION_TTL`` renewed while the socket lives; who owns a room is its lease (``leases.redis``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import msgspec
from redis.asyncio import Redis
from redis.exceptions import RedisError

from roomservice.broker.base import Envelope
from roomservice.broker.redis import RedisBroker
from roomservice.errors import ClusterUnavailable, RoomServiceError
from roomservice.leases.redis import RedisLeases
from roomservice.protocol.messages import RoomFrame
from roomservice.rooms.events import RoomEvent
from roomservice.tickets import TICKET_TTL

log = logging.getLogger(__name__)

#: Seconds a session's socket location lives in Redis unless renewed (seed 003: a player, 5 minutes).
SESSION_TTL = 300
#: Seconds a node waits for another node's answer before giving up on it.
CALL_TIMEOUT = 5.0
#: Times a message for a room's owner is passed on when ownership moved while it travelled.
MAX_HOPS = 3

_json = msgspec.json.Encoder()

#: A handler of one kind of message: (body, sending node) → the answer of a ``call``, or None.
Handler = Callable[[dict[str, Any], str], Awaitable[Any]]

_CLAIM_SOCKET = """
local previous = redis.call('GET', KEYS[1])
if ARGV[3] == 'refuse' and previous and previous ~= ARGV[1] then return previous end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return previous or ''
"""

_DROP_SOCKET = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def inbox(node_id: str) -> str:
    """The broker channel of a node's inbox."""
    return "node:" + node_id


def frame_body(frame: RoomFrame) -> dict[str, Any]:
    """A frame as it travels to the owner that numbers it: its fields, ``seq`` left out."""
    body: dict[str, Any] = msgspec.to_builtins(frame)
    body.pop("seq", None)
    return body


class Node:
    """This node's side of the cluster: its inbox, calls to other nodes, room owners and socket
    locations. Every call that reaches Redis raises :class:`ClusterUnavailable` when Redis does not
    answer."""

    def __init__(
        self, node_id: str, broker: RedisBroker, leases: RedisLeases, redis: Redis, *, prefix: str
    ) -> None:
        self.node_id = node_id
        self.broker = broker
        self.leases = leases
        self.redis = redis
        self._sock = prefix + "sock:"
        self._ticket = prefix + "ticket:"
        self._claim_socket = redis.register_script(_CLAIM_SOCKET)
        self._drop_socket = redis.register_script(_DROP_SOCKET)
        self._handlers: dict[str, Handler] = {}
        self._calls: dict[str, asyncio.Future[Any]] = {}
        #: The last owner seen of each room this node follows, so messages for it go out at once.
        self.owners: dict[str, str | None] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False
        broker.subscribe(inbox(node_id), self._receive)

    # -- messages ----------------------------------------------------------------------------

    def handle(self, kind: str, handler: Handler) -> None:
        """Serve messages of ``kind`` with ``handler``; what it returns answers a ``call``."""
        self._handlers[kind] = handler

    async def here(self, kind: str, body: dict[str, Any]) -> Any:
        """Serve a message of ``kind`` on this node at once, as one it sent itself would be served,
        without going through Redis; the handler's answer."""
        return await self._handlers[kind](body, self.node_id)

    def send(self, node_id: str, kind: str, body: dict[str, Any]) -> None:
        """Send a message to a node (this one included). Never blocks; ordered per receiver."""
        text = _json.encode({"from": self.node_id, **body}).decode()
        self.broker.publish(Envelope(inbox(node_id), 0, text, None, kind))

    async def call(self, node_id: str, kind: str, body: dict[str, Any], timeout: float = CALL_TIMEOUT) -> Any:
        """Send a message and wait for its handler's answer there; a coded error raised there is
        raised here. Raises :class:`ClusterUnavailable` when no answer comes in ``timeout`` seconds."""
        call_id = secrets.token_hex(8)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._calls[call_id] = future
        try:
            self.send(node_id, "call", {"id": call_id, "kind": kind, "body": body})
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError:
            raise ClusterUnavailable(f"node {node_id} did not answer") from None
        finally:
            self._calls.pop(call_id, None)

    def _receive(self, envelope: Envelope) -> None:
        try:
            body = msgspec.json.decode(envelope.text)
        except msgspec.DecodeError:
            log.warning("dropped an undecodable message of kind %s", envelope.kind)
            return
        sender = body.pop("from", "")
        if envelope.kind == "result":
            future = self._calls.get(body.get("id", ""))
            if future is not None and not future.done():
                error = body.get("error")
                if error is None:
                    future.set_result(body.get("value"))
                else:
                    extra = error.get("extra") or {}
                    future.set_exception(
                        RoomServiceError(error["code"], error["message"], error["status"], **extra)
                    )
            return
        self.spawn(self._serve(envelope.kind, body, sender))

    async def _serve(self, kind: str, body: dict[str, Any], sender: str) -> None:
        call_id = body.get("id") if kind == "call" else None
        if call_id is not None:
            kind, body = body["kind"], body["body"]
        handler = self._handlers.get(kind)
        if handler is None:
            log.warning("no handler for message %s from %s", kind, sender)
            return
        try:
            value = await handler(body, sender)
        except RoomServiceError as exc:
            if call_id is not None:
                error = {"code": exc.code, "message": exc.message, "status": exc.status, "extra": exc.extra}
                self.send(sender, "result", {"id": call_id, "error": error})
            return
        except Exception:
            log.exception("message %s from %s failed", kind, sender)
            if call_id is not None:
                error = {"code": "internal", "message": "Internal server error.", "status": 500}
                self.send(sender, "result", {"id": call_id, "error": error})
            return
        if call_id is not None:
            self.send(sender, "result", {"id": call_id, "value": value})

    def spawn(self, coro: Awaitable[Any]) -> None:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- rooms' owners ---------------------------------------------------------------------------

    async def owner(self, room_id: str) -> str | None:
        """The node owning the room now (None: nobody), remembered for :meth:`known_owner`."""
        try:
            owner = await self.leases.owner(room_id)
        except (RedisError, OSError) as exc:
            raise ClusterUnavailable(str(exc)) from exc
        self.owners[room_id] = owner
        return owner

    def known_owner(self, room_id: str) -> str | None:
        """The owner last seen of the room (no round trip)."""
        return self.owners.get(room_id)

    async def refresh_owners(self, room_ids: Sequence[str]) -> dict[str, str | None]:
        """Look up the owners of ``room_ids`` in one round trip."""
        try:
            found = await self.leases.owners(list(room_ids))
        except (RedisError, OSError) as exc:
            raise ClusterUnavailable(str(exc)) from exc
        self.owners.update(found)
        return found

    # -- sessions' sockets -------------------------------------------------------------------

    async def claim_session(self, session_id: str, refuse: bool) -> str | None:
        """Record that the session's socket is on this node; returns the node that held it before
        (None: none, or this one). With ``refuse``, a socket held elsewhere is kept: nothing changes
        and that node is returned."""
        try:
            previous = await self._claim_socket(
                keys=[self._sock + session_id],
                args=[self.node_id, SESSION_TTL, "refuse" if refuse else "replace"],
            )
        except (RedisError, OSError) as exc:
            raise ClusterUnavailable(str(exc)) from exc
        previous = str(previous or "")
        return previous if previous and previous != self.node_id else None

    async def drop_session(self, session_id: str) -> None:
        """The session's socket on this node is gone (unless a newer one took its place elsewhere)."""
        with contextlib.suppress(RedisError, OSError):
            await self._drop_socket(keys=[self._sock + session_id], args=[self.node_id])

    async def session_node(self, session_id: str) -> str | None:
        """The node holding the session's socket, if any."""
        try:
            value = await self.redis.get(self._sock + session_id)
        except (RedisError, OSError) as exc:
            raise ClusterUnavailable(str(exc)) from exc
        return str(value) if value is not None else None

    async def sessions_online(self, session_ids: Sequence[str]) -> set[str]:
        """Which of the sessions have a socket on some node."""
        if not session_ids:
            return set()
        try:
            values = await self.redis.mget([self._sock + s for s in session_ids])
        except (RedisError, OSError) as exc:
            raise ClusterUnavailable(str(exc)) from exc
        return {s for s, v in zip(session_ids, values, strict=True) if v is not None}

    async def keep_sessions(self, session_ids: Sequence[str]) -> None:
        """Renew the socket locations of the sessions whose sockets this node holds."""
        if not session_ids:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for session_id in session_ids:
                pipe.expire(self._sock + session_id, SESSION_TTL)
            await pipe.execute()

    # -- socket tickets, valid on every node ----------------------------------------------------

    async def issue_ticket(self, token: str) -> str:
        """A one-time ticket standing for ``token`` for ``TICKET_TTL`` seconds, on any node."""
        ticket = secrets.token_urlsafe(32)
        try:
            await self.redis.set(self._ticket + ticket, token, ex=TICKET_TTL)
        except (RedisError, OSError) as exc:
            raise ClusterUnavailable(str(exc)) from exc
        return ticket

    async def redeem_ticket(self, ticket: str) -> str | None:
        """The token a ticket stands for, once (it is deleted as it is read); None when unknown,
        used or expired."""
        try:
            token = await self.redis.getdel(self._ticket + ticket)
        except (RedisError, OSError) as exc:
            raise ClusterUnavailable(str(exc)) from exc
        return str(token) if token is not None else None

    # -- events for another node's room --------------------------------------------------------

    async def room_events_to(
        self, owner: str, room_id: str, room_code: str, events: Sequence[RoomEvent], hops: int = 0
    ) -> None:
        """Have ``owner`` (this node too) number and send a committed operation's events; returns
        once it has."""
        frames = [[frame_body(e.frame), e.to, e.subject] for e in events]
        body = {"room_id": room_id, "room_code": room_code, "frames": frames, "hops": hops}
        if owner == self.node_id:
            await self.here("events", body)
        else:
            await self.call(owner, "events", body)

    async def close(self) -> None:
        self._closed = True
        self.broker.unsubscribe(inbox(self.node_id), self._receive)
        for future in self._calls.values():
            if not future.done():
                future.set_exception(ClusterUnavailable("the node is stopping"))
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.redis.aclose()
        await self.redis.connection_pool.disconnect()
