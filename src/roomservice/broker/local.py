"""The in-process broker: a publish is a direct, ordered call to the room's subscriber."""

from __future__ import annotations

from roomservice.broker.base import Deliver, Envelope


class LocalBroker:
    def __init__(self) -> None:
        self._subscribers: dict[str, Deliver] = {}

    def subscribe(self, room_id: str, deliver: Deliver) -> None:
        self._subscribers[room_id] = deliver

    def unsubscribe(self, room_id: str) -> None:
        self._subscribers.pop(room_id, None)

    def publish(self, envelope: Envelope) -> None:
        deliver = self._subscribers.get(envelope.room_id)
        if deliver is not None:
            deliver(envelope)

    async def close(self) -> None:
        self._subscribers.clear()
