"""The broker seam: where a room's encoded frames travel from the node that produced them to every
node holding sockets in that room."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Protocol


@dataclasses.dataclass(frozen=True, slots=True)
class Envelope:
    """One frame for a room, already encoded. ``to`` names the one session it is for, if any."""

    room_id: str
    seq: int
    text: str
    to: str | None = None
    #: The frame's ``type``, so receivers can react to membership frames without decoding them.
    kind: str = ""
    #: The session a membership frame is about (player_joined, player_left, kicked).
    subject: str | None = None
    #: Per-receiver texts of one frame (members' own game views), by session id; ``text`` is for
    #: everyone else, and empty means nothing for them.
    views: Mapping[str, str] | None = None

    def text_for(self, session_id: str) -> str | None:
        """What ``session_id`` receives of this frame, or None."""
        if self.to is not None:
            return self.text if self.to == session_id else None
        if self.views is not None:
            return self.views.get(session_id) or self.text or None
        return self.text


Deliver = Callable[[Envelope], None]


class Broker(Protocol):
    def subscribe(self, room_id: str, deliver: Deliver) -> None:
        """Start calling ``deliver`` with each envelope published to ``room_id``, in publish order."""

    def unsubscribe(self, room_id: str, deliver: Deliver) -> None: ...

    def publish(self, envelope: Envelope) -> None:
        """Hand the envelope to every subscriber of its room. Never blocks on a slow receiver."""

    async def close(self) -> None: ...
