"""The in-process broker: a publish is a direct, ordered call to each of the room's subscribers."""

from __future__ import annotations

import logging
from collections import deque

from roomservice.broker.base import Deliver, Envelope

log = logging.getLogger("roomservice.broker")


def _failed(deliver: Deliver, envelope: Envelope) -> None:
    log.exception("subscriber %r of room %s failed on seq %d", deliver, envelope.room_id, envelope.seq)


class _FanOut:
    """What ``publish`` calls for a room with several subscribers.

    The subscribers are a tuple, replaced (never mutated) on subscribe and unsubscribe, so a change made
    by a subscriber while it is being called applies from the next envelope on. An envelope published to
    this room by one of its subscribers during a delivery waits until every subscriber has had the
    current one: each of them still sees publish order.
    """

    __slots__ = ("_delivering", "_pending", "subscribers")

    def __init__(self, subscribers: tuple[Deliver, ...]) -> None:
        self.subscribers = subscribers
        self._delivering = False
        self._pending: deque[Envelope] = deque()

    def __call__(self, envelope: Envelope) -> None:
        if self._delivering:
            self._pending.append(envelope)
            return
        self._delivering = True
        try:
            self._each(envelope)
            while self._pending:
                self._each(self._pending.popleft())
        finally:
            self._delivering = False

    def _each(self, envelope: Envelope) -> None:
        for deliver in self.subscribers:
            try:
                deliver(envelope)
            except Exception:
                _failed(deliver, envelope)


class LocalBroker:
    """Delivers inside ``publish``, on the caller's stack, so ``flush`` has nothing to wait for.

    A publish is one dict lookup and one call: to the subscriber itself when the room has one (the
    common case, as cheap as a plain callback), to a ``_FanOut`` over the room's tuple when it has more.
    """

    def __init__(self) -> None:
        #: Registrations per room, in subscribe order.
        self._subscribers: dict[str, tuple[Deliver, ...]] = {}
        #: What a publish to the room calls: the only subscriber, or a ``_FanOut``.
        self._targets: dict[str, Deliver] = {}
        self._closed = False

    def subscribe(self, room_id: str, deliver: Deliver) -> None:
        """Ignored after ``close``."""
        if self._closed:
            return
        self._set(room_id, (*self._subscribers.get(room_id, ()), deliver))

    def unsubscribe(self, room_id: str, deliver: Deliver) -> None:
        subscribers = self._subscribers.get(room_id, ())
        for i, known in enumerate(subscribers):
            if known == deliver:
                self._set(room_id, subscribers[:i] + subscribers[i + 1 :])
                return

    def _set(self, room_id: str, subscribers: tuple[Deliver, ...]) -> None:
        target = self._targets.get(room_id)
        fan_out = target if isinstance(target, _FanOut) else None
        if fan_out is not None:
            # A delivery under way drains its queue to whoever is subscribed by then.
            fan_out.subscribers = subscribers
        if not subscribers:
            self._subscribers.pop(room_id, None)
            self._targets.pop(room_id, None)
            return
        self._subscribers[room_id] = subscribers
        if len(subscribers) == 1:
            self._targets[room_id] = subscribers[0]
        elif fan_out is None:
            self._targets[room_id] = _FanOut(subscribers)

    def subscribed(self, room_id: str) -> bool:
        """Whether the room has a subscriber here."""
        return room_id in self._targets

    def publish(self, envelope: Envelope) -> None:
        deliver = self._targets.get(envelope.room_id)
        if deliver is not None:
            try:
                deliver(envelope)
            except Exception:
                _failed(deliver, envelope)

    def own(self, room_id: str) -> None:
        """One process: every envelope is published here anyway."""

    def disown(self, room_id: str, after: int) -> None:
        """One process: every envelope is published here anyway."""

    async def flush(self) -> None:
        """Nothing is ever in flight: every publish has been delivered by the time it returns."""

    async def close(self) -> None:
        """Forget every subscriber; later publishes find none and are dropped."""
        self._closed = True
        self._subscribers.clear()
        self._targets.clear()
