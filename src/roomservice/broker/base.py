"""The broker seam: where a room's encoded frames travel from the node that produced them to every
node holding sockets in that room."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Protocol


@dataclasses.dataclass(frozen=True, slots=True)
class Envelope:
    """One frame for a room, already encoded. ``to`` names the one session it is for, if any."""

    room_id: str
    seq: int
    text: str
    to: str | None = None


Deliver = Callable[[Envelope], None]


class Broker(Protocol):
    def subscribe(self, room_id: str, deliver: Deliver) -> None:
        """Start calling ``deliver`` with each envelope published to ``room_id``, in publish order."""

    def unsubscribe(self, room_id: str) -> None: ...

    def publish(self, envelope: Envelope) -> None:
        """Hand the envelope to every subscriber of its room. Never blocks on a slow receiver."""

    async def close(self) -> None: ...
