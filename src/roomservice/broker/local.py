"""The in-process broker: a publish is a direct, ordered call to each of the room's subscribers."""

from __future__ import annotations

import logging

from roomservice.broker.base import Deliver, Envelope

log = logging.getLogger(__name__)


class LocalBroker:
    def __init__(self) -> None:
        self._subscribers: dict[str, tuple[Deliver, ...]] = {}

    def subscribe(self, room_id: str, deliver: Deliver) -> None:
        self._subscribers[room_id] = (*self._subscribers.get(room_id, ()), deliver)

    def unsubscribe(self, room_id: str, deliver: Deliver) -> None:
        current = self._subscribers.get(room_id, ())
        remaining = tuple(d for d in current if d != deliver)
        if remaining:
            self._subscribers[room_id] = remaining
        else:
            self._subscribers.pop(room_id, None)

    def publish(self, envelope: Envelope) -> None:
        for deliver in self._subscribers.get(envelope.room_id, ()):
            try:
                deliver(envelope)
            except Exception:
                log.exception("a subscriber of room %s failed", envelope.room_id)

    async def flush(self) -> None:
        return None

    async def close(self) -> None:
        self._subscribers.clear()
