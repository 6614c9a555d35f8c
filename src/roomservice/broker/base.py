"""The broker seam: where a room's encoded frames travel from the node that produced them to every
node holding sockets in that room.

Contract (every implementation, checked by ``tests/broker``):

- A room has any number of subscribers. Subscribing the same callable twice registers it twice;
  ``unsubscribe`` removes one registration of that callable (compared with ``==``, so a bound method
  fetched again still matches) and is a no-op for one that is not registered.
- Each subscriber sees the envelopes of one room in publish order. Rooms are independent: nothing is
  promised about the order between rooms.
- ``publish`` never blocks and never raises because of a subscriber. An implementation may deliver
  inside the call (in-process) or later from a sender task (networked); callers that need delivery to
  have happened await ``flush``.
- A subscriber that raises is logged (logger ``roomservice.broker``) and the envelope still reaches
  every other subscriber; later envelopes still reach the one that raised.
- After ``close`` every publish is dropped without error and no subscriber is called again.
- ``own`` and ``disown`` say which rooms this node numbers (holds the lease of). They change nothing of
  what any subscriber on any node sees: every envelope of a room, in publish order, also across a
  change of owner (the frames another node publishes right after this one disowned the room included).
  A networked implementation uses them to spare the owner hearing its own envelopes back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

import msgspec


class Envelope(msgspec.Struct, gc=False):
    """One frame for a room, already encoded. ``to`` names the one session it is for, if any. Treated
    as immutable; not frozen only because that costs more to build, and one is built for every frame.

    Not tracked by the garbage collector (``gc=False``: an envelope refers to no container that could
    lead back to it): rooms keep hundreds each for ``resume``, and a full collection would otherwise
    walk them all."""

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


#: A subscriber: called once per envelope of its room, on the event loop's thread. It must not block.
Deliver = Callable[[Envelope], None]


class Broker(Protocol):
    def subscribe(self, room_id: str, deliver: Deliver) -> None:
        """Start calling ``deliver`` with each envelope published to ``room_id`` from now on, in
        publish order. Envelopes published before the call are not replayed."""

    def unsubscribe(self, room_id: str, deliver: Deliver) -> None:
        """Stop calling ``deliver`` for ``room_id`` (one registration of it). Other subscribers of the
        room keep theirs. Unknown room or subscriber: nothing happens."""

    def publish(self, envelope: Envelope) -> None:
        """Hand the envelope to every subscriber of ``envelope.room_id`` on every node. Never blocks and
        never raises for a subscriber's sake; may queue to a sender task. Dropped after ``close``."""

    def own(self, room_id: str) -> None:
        """This node numbers ``room_id``'s frames from now on: nobody else publishes the room's
        numbered envelopes while it does."""

    def disown(self, room_id: str, after: int) -> None:
        """This node no longer numbers ``room_id``; ``after`` is the last seq it published for it.
        Another node's envelopes of the room reach this node's subscribers from the next one on."""

    async def flush(self) -> None:
        """Return once every envelope published on this node before the call has been handed to this
        node's subscribers (or dropped because nobody subscribed) and sent on to the other nodes, and
        once the rooms subscribed to before the call hear other nodes' envelopes. After ``close``:
        returns at once."""

    async def close(self) -> None:
        """Stop: forget every subscriber, end any sender task; nothing is delivered after it returns.
        Idempotent."""
