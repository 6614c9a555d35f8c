"""The broker on Redis pub/sub, for several nodes: one channel per room, so a node hears only the rooms it
has subscribers in (not every room, as a broker on one shared channel would).

- Subscribers on this node are called inside ``publish``, exactly as :class:`LocalBroker` calls them
  (same order guarantees); a sender task then hands the envelope to Redis, in publish order, many
  envelopes per round trip. Other nodes' subscribers get it from their subscription, in that order.
- A node subscribes to ``<prefix>room:<room_id>`` while it has a subscriber of the room, and lets the
  channel go with the last one. Its own envelopes coming back are recognised by a tag of the instance
  and dropped before they are decoded, so nobody here gets one twice.
- The owner of a room (``own``: the node numbering its frames) does not hear the room from Redis at
  all: its subscribers get every frame inside ``publish``, and only its own would come back (reading
  them back costs the owner more than sending them). When it stops owning the room (``disown``) it
  subscribes again and first reads from the room's stream what was published after its last frame,
  holding what the subscription brings meanwhile, so its subscribers miss nothing and see the new
  owner's frames in order. Without a stream (``log_size`` 0) an owner keeps hearing its rooms.
- With ``log_size`` above 0 every numbered envelope (``seq > 0``) also goes into a capped stream per
  room, ``<prefix>log:<room_id>`` (entry id ``<seq>-n``, the newest ``log_size`` kept, gone
  ``LOG_TTL`` seconds after the room's last frame), so any node can replay what a returning client
  missed (:meth:`since`) and knows the room's last ``seq`` (:meth:`last_seq`).
- A numbered envelope heard from another node with a ``seq`` not above the last one delivered here for
  its room is a former owner's late frame (a room's numbers only go up, across owners): it is dropped.
- What the subscription brings is handed to subscribers at most ``PASS`` messages per event-loop
  pass, so sockets write a backlog read in at once in pieces (see ``PASS``).
- Redis unreachable: publishing goes on for this node's subscribers; what waits for Redis is kept (the
  newest ``BACKLOG`` envelopes) and sent, in order, when it answers again; the subscription comes back
  with every channel, and each room's subscribers here first get, from the room's log, what other
  nodes published on it meanwhile (as far as the log reaches back). ``flush`` does not wait for Redis
  while it is unreachable.

Pub/sub channel names are global to a Redis server (not per database number): the prefix is what keeps
two deployments on one Redis apart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections import deque
from collections.abc import Iterable
from typing import Any

import msgspec
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from roomservice.broker.base import Deliver, Envelope
from roomservice.broker.local import LocalBroker

log = logging.getLogger("roomservice.broker")

#: Envelopes kept for Redis while it is unreachable; past that the oldest are dropped (their rooms'
#: sockets on other nodes then catch up by resuming).
BACKLOG = 100_000
#: Envelopes sent to Redis in one round trip at most.
BATCH = 512
#: Messages heard from Redis in one event-loop pass at most. A backlog read in at once (the node was
#: busy) would otherwise reach the sockets all in one pass, before any of it is written, and a socket
#: given more than its send queue (``ws_send_queue``) in one pass is dropped as too slow.
PASS = 32
#: Seconds a room's stream is kept after its last frame (a room without frames for that long has no
#: client left that could resume into it).
LOG_TTL = 600
#: Seconds ``close`` waits for the sender and the subscription to stop.
CLOSE_WAIT = 2.0
#: Seconds between attempts to reach Redis again, doubling up to the second value.
RETRY = (0.05, 1.0)
#: Reads of a room's log, ``RETRY`` apart, before a catch-up gives up on what was missed.
CATCH_UP_TRIES = 5

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder()

_Row = tuple[str, int, str, str | None, str, str | None, dict[str, str] | None]


def encode(envelope: Envelope) -> bytes:
    views = dict(envelope.views) if envelope.views is not None else None
    row = (envelope.room_id, envelope.seq, envelope.text, envelope.to, envelope.kind, envelope.subject, views)
    return _encoder.encode(row)


def decode(data: bytes) -> Envelope:
    room_id, seq, text, to, kind, subject, views = _decoder.decode(data)
    if views is not None:
        # Equal texts become one object again, so a channel frames each distinct view once.
        same: dict[str, str] = {text: text} if text else {}
        views = {session: same.setdefault(view, view) for session, view in views.items()}
        text = same.get(text, text)
    return Envelope(room_id, seq, text, to, kind, subject, views)


class RedisBroker:
    """A node's broker on ``redis`` (a client whose connections are free for this broker's use).

    ``prefix`` starts every channel and key; ``log_size`` is how many envelopes per room the shared
    resume log keeps (0: none)."""

    def __init__(self, redis: Redis, *, prefix: str = "roomservice:", log_size: int = 0) -> None:
        self._redis = redis
        self._prefix = prefix
        self._room_prefix = prefix + "room:"
        self._log_prefix = prefix + "log:"
        self._log_size = log_size
        #: Marks what this instance published, so its own envelopes coming back are dropped.
        self._tag = secrets.token_bytes(8)
        self._local = LocalBroker()
        self._closed = False
        #: Rooms with a subscriber here, and what Redis has confirmed.
        self._wanted: set[str] = set()
        self._confirmed: set[str] = set()
        self._changes: set[str] = set()
        #: The highest seq delivered here (published here or heard from other nodes), per room
        #: subscribed to.
        self._heard_seq: dict[str, int] = {}
        #: Rooms this node numbers: not heard from Redis.
        self._owned: set[str] = set()
        #: Rooms heard again after being disowned, until the stream's catch-up: what the subscription
        #: brought meanwhile, held back.
        self._catching: dict[str, list[Envelope]] = {}
        self._catch_tasks: set[asyncio.Task[None]] = set()
        self._catch_running: set[str] = set()
        self._outgoing: deque[Envelope] = deque(maxlen=BACKLOG)
        self._published = 0
        self._sent = 0
        self._dropped_warned = False
        #: Whether Redis answered the last attempt (publishing and the subscription alike).
        self.reachable = True
        self._progress = asyncio.Event()
        self._wake_sender = asyncio.Event()
        self._wake_control = asyncio.Event()
        self._pubsub: PubSub | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @classmethod
    def from_url(cls, url: str, *, prefix: str, log_size: int = 0) -> RedisBroker:
        return cls(Redis.from_url(url), prefix=prefix, log_size=log_size)

    def _start(self) -> None:
        if not self._tasks and not self._closed:
            loop = asyncio.get_running_loop()
            self._tasks = [
                loop.create_task(self._sender(), name="broker-sender"),
                loop.create_task(self._listener(), name="broker-listener"),
            ]

    # -- subscribers ---------------------------------------------------------------------------

    def subscribe(self, room_id: str, deliver: Deliver) -> None:
        if self._closed:
            return
        self._local.subscribe(room_id, deliver)
        if room_id not in self._wanted:
            self._wanted.add(room_id)
            if room_id not in self._owned:
                self._change(room_id)

    def unsubscribe(self, room_id: str, deliver: Deliver) -> None:
        self._local.unsubscribe(room_id, deliver)
        if room_id in self._wanted and not self._local.subscribed(room_id):
            self._wanted.discard(room_id)
            self._heard_seq.pop(room_id, None)
            self._catching.pop(room_id, None)
            if room_id not in self._owned:
                self._change(room_id)

    def _change(self, room_id: str) -> None:
        """Have the subscription at Redis follow what is wanted of ``room_id``."""
        self._changes.add(room_id)
        self._start()
        self._wake_control.set()

    def _hears(self, room_id: str) -> bool:
        """Whether this node should hear ``room_id`` from Redis."""
        return room_id in self._wanted and room_id not in self._owned

    # -- owners ----------------------------------------------------------------------------------

    def own(self, room_id: str) -> None:
        if self._closed or not self._log_size or room_id in self._owned:
            return
        self._owned.add(room_id)
        held = self._catching.pop(room_id, None)
        if held:
            self._deliver_held(room_id, held)
        if room_id in self._wanted:
            self._change(room_id)

    def disown(self, room_id: str, after: int) -> None:
        if room_id not in self._owned:
            return
        self._owned.discard(room_id)
        if self._closed:
            return
        if room_id in self._wanted:
            self._heard_seq[room_id] = max(self._heard_seq.get(room_id, 0), after)
            self._catching[room_id] = []
            self._change(room_id)

    async def _catch_up_once(self, room_id: str) -> None:
        try:
            await self._catch_up(room_id)
        finally:
            self._catch_running.discard(room_id)
            self._progress.set()

    async def _catch_up(self, room_id: str) -> None:
        """The room is heard again: deliver what its stream has after the last seq seen here, then
        what the subscription held back meanwhile."""
        missed: list[Envelope] | None = None
        delay = RETRY[0]
        for attempt in range(CATCH_UP_TRIES):
            try:
                missed = await self.since(room_id, self._heard_seq.get(room_id, 0))
            except (RedisError, OSError) as exc:
                # Right after Redis comes back, a pooled connection the outage broke fails once.
                if attempt + 1 == CATCH_UP_TRIES or self._closed:
                    log.warning("room %s: could not read what was missed (%s)", room_id, exc)
                    break
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY[1])
            else:
                if missed is None:
                    log.warning("room %s: what was sent while it was not heard is gone from its log", room_id)
                break
        held = self._catching.pop(room_id, None)
        if held is not None:
            self._deliver_held(room_id, [*(missed or ()), *held])

    def _deliver_held(self, room_id: str, envelopes: list[Envelope]) -> None:
        for envelope in envelopes:
            if envelope.seq > 0:
                if envelope.seq <= self._heard_seq.get(room_id, 0):
                    continue
                self._heard_seq[room_id] = envelope.seq
            self._local.publish(envelope)

    # -- publishing ----------------------------------------------------------------------------

    def publish(self, envelope: Envelope) -> None:
        if self._closed:
            return
        self._local.publish(envelope)
        room_id = envelope.room_id
        if envelope.seq > self._heard_seq.get(room_id, 0) and room_id in self._wanted:
            self._heard_seq[room_id] = envelope.seq
        if len(self._outgoing) == BACKLOG and not self._dropped_warned:
            self._dropped_warned = True
            log.warning("Redis is unreachable and %d envelopes wait for it: dropping the oldest", BACKLOG)
        self._outgoing.append(envelope)
        self._published += 1
        self._start()
        self._wake_sender.set()

    async def _sender(self) -> None:
        delay = RETRY[0]
        while not self._closed:
            if not self._outgoing:
                self._wake_sender.clear()
                await self._wake_sender.wait()
                continue
            batch = [self._outgoing.popleft() for _ in range(min(BATCH, len(self._outgoing)))]
            try:
                await self._send(batch)
            except (RedisError, OSError) as exc:
                self._outgoing.extendleft(reversed(batch))
                self._unreachable(exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY[1])
                continue
            delay = RETRY[0]
            self._dropped_warned = False
            self._sent += len(batch)
            self._progress.set()

    async def _send(self, batch: list[Envelope]) -> None:
        pipe = self._redis.pipeline(transaction=False)
        logged: set[str] = set()
        for envelope in batch:
            data = encode(envelope)
            # Logged before it is published: a node that subscribes, then reads the stream (catching
            # up after it disowned the room), finds there every envelope it did not hear.
            if self._log_size and envelope.seq > 0:
                key = self._log_prefix + envelope.room_id
                pipe.xadd(key, {"e": data}, id=f"{envelope.seq}-*", maxlen=self._log_size, approximate=False)
                logged.add(key)
            pipe.publish(self._room_prefix + envelope.room_id, self._tag + data)
        for key in logged:
            pipe.expire(key, LOG_TTL)
        # An entry below the stream's last id (a former owner's late frame) is refused alone.
        await pipe.execute(raise_on_error=False)
        self.reachable = True

    async def flush(self) -> None:
        """Return once the envelopes published before the call have reached Redis and the rooms
        subscribed before it are heard from Redis; at once while Redis is unreachable."""
        target = self._published
        wanted = {r for r in self._wanted if self._hears(r)}
        while not self._closed and self.reachable:
            heard = {r for r in wanted if self._hears(r)}
            if self._sent >= target and not heard - self._confirmed and not heard & self._catching.keys():
                return
            self._progress.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._progress.wait(), 0.5)

    # -- the subscription ----------------------------------------------------------------------

    async def _listener(self) -> None:
        delay = RETRY[0]
        while not self._closed:
            control: asyncio.Task[None] | None = None
            try:
                pubsub = self._pubsub = self._redis.pubsub()
                await pubsub.connect()  # type: ignore[no-untyped-call]
                self._confirmed.clear()
                self._changes = {r for r in self._wanted if self._hears(r)}
                for room_id in self._changes:
                    if self._log_size and self._heard_seq.get(room_id):
                        # Heard before Redis went away: what other nodes published on it meanwhile
                        # comes first, from the room's log, once its channel is heard again.
                        self._catching.setdefault(room_id, [])
                control = asyncio.get_running_loop().create_task(self._control(pubsub))
                self.reachable = True
                delay = RETRY[0]
                heard = 0
                while not self._closed:
                    message = await pubsub.get_message(timeout=None)
                    if message is not None:
                        self._heard(message)
                        heard += 1
                        if not heard % PASS:
                            # Messages already read in are handed out without a pause: let the
                            # sockets write what they were given before they are given more.
                            await asyncio.sleep(0)
            except (RedisError, OSError) as exc:
                self._unreachable(exc)
            finally:
                if control is not None:
                    # Stopped before its connection is closed under it (a command cut short there
                    # would fail on the closed connection instead of ending quietly).
                    control.cancel()
                    await asyncio.wait([control], timeout=CLOSE_WAIT)
                self._pubsub = None
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            if not self._closed:
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY[1])

    async def _control(self, pubsub: PubSub) -> None:
        """Sends the subscription changes asked for; the listener reads their confirmations."""
        try:
            while True:
                if not self._changes:
                    self._wake_control.clear()
                    await self._wake_control.wait()
                    continue
                changes, self._changes = self._changes, set()
                join = [self._room_prefix + r for r in changes if self._hears(r)]
                leave = [self._room_prefix + r for r in changes if not self._hears(r)]
                if join:
                    await pubsub.subscribe(*join)
                if leave:
                    await pubsub.unsubscribe(*leave)
        except (RedisError, OSError) as exc:
            self._unreachable(exc)
            if self._pubsub is pubsub:
                # The listener notices the broken connection and starts again.
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    def _room_of(self, message: dict[str, Any]) -> str:
        channel = message["channel"]
        name = channel.decode() if isinstance(channel, bytes) else str(channel)
        return name[len(self._room_prefix) :]

    def _heard(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        room_id = self._room_of(message)
        name = self._room_prefix + room_id
        if kind == "message":
            data: bytes = message["data"]
            if data.startswith(self._tag):
                return
            try:
                envelope = decode(data[len(self._tag) :])
            except (msgspec.DecodeError, ValueError, TypeError):
                log.warning("dropped an undecodable envelope on %s", name)
                return
            held = self._catching.get(room_id)
            if held is not None:
                held.append(envelope)  # delivered after what the stream has before it
                return
            if envelope.seq > 0:
                # A room's numbers only go up, across owners too: a lower one is a former owner's
                # late frame, which nobody here must see after the new owner's.
                if envelope.seq <= self._heard_seq.get(room_id, 0):
                    return
                self._heard_seq[room_id] = envelope.seq
            self._local.publish(envelope)
        elif kind == "subscribe":
            self._confirmed.add(room_id)
            if room_id in self._catching and room_id not in self._catch_running:
                self._catch_running.add(room_id)
                task = asyncio.get_running_loop().create_task(self._catch_up_once(room_id))
                self._catch_tasks.add(task)
                task.add_done_callback(self._catch_tasks.discard)
            self._progress.set()
        elif kind == "unsubscribe":
            self._confirmed.discard(room_id)
            self._progress.set()

    def _unreachable(self, exc: BaseException) -> None:
        if self.reachable:
            log.warning("Redis is unreachable (%s); retrying", exc)
        self.reachable = False
        self._progress.set()

    # -- the shared resume log -----------------------------------------------------------------

    async def since(self, room_id: str, after: int) -> list[Envelope] | None:
        """The room's logged envelopes with ``seq > after``, oldest first; None when the log no longer
        reaches back to ``after + 1`` (or keeps nothing). Raises ``RedisError`` when Redis is
        unreachable."""
        if not self._log_size:
            return None
        key = self._log_prefix + room_id
        oldest: Any = await self._redis.xrange(key, count=1)
        if not oldest:
            return None if after > 0 else []
        if _seq_of(oldest[0][0]) > after + 1:
            return None
        rows: Any = await self._redis.xrange(key, min=f"{after + 1}-0")
        return [decode(fields[b"e"]) for _, fields in rows]

    async def last_seq(self, room_id: str) -> int:
        """The seq of the room's newest logged envelope (0: none)."""
        if not self._log_size:
            return 0
        newest: Any = await self._redis.xrevrange(self._log_prefix + room_id, count=1)
        return _seq_of(newest[0][0]) if newest else 0

    async def forget(self, room_ids: Iterable[str]) -> None:
        """Drop the logs of rooms that are gone."""
        keys = [self._log_prefix + r for r in room_ids]
        if keys:
            await self._redis.delete(*keys)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._progress.set()
        self._wake_sender.set()
        self._wake_control.set()
        await self._local.close()
        for task in [*self._tasks, *self._catch_tasks]:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=CLOSE_WAIT)
        self._tasks = []
        await self._redis.aclose()
        await self._redis.connection_pool.disconnect()


def _seq_of(entry_id: bytes | str) -> int:
    raw = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return int(raw.split("-", 1)[0])
