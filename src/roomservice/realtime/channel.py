"""One room as this node's sockets see it: the sockets attached here, who is offline and their grace
timers. Frames arrive from the broker already numbered and encoded."""

from __future__ import annotations

from collections.abc import Callable

from roomservice.broker.base import Envelope
from roomservice.realtime.connection import Connection, broadcast
from roomservice.realtime.wire import HEADS, frame_text
from roomservice.scheduling import Timer

#: Frame types a node reacts to (attach, detach, let the channel go) besides delivering them.
MEMBERSHIP = frozenset({"player_joined", "player_left", "room_closed"})


class RoomChannel:
    __slots__ = ("attached", "base_seq", "grace", "offline", "on_membership", "room_code", "room_id")

    def __init__(
        self, room_id: str, room_code: str, on_membership: Callable[[RoomChannel, Envelope], None]
    ) -> None:
        self.room_id = room_id
        self.room_code = room_code
        self.attached: dict[str, Connection] = {}
        self.grace: dict[str, Timer] = {}
        #: Session ids whose socket dropped; they stay seated until grace runs out.
        self.offline: set[str] = set()
        self.on_membership = on_membership
        #: Several nodes, on a node that does not own the room: the room's last seq when the channel
        #: was last prepared (an owner reads it from the room's log).
        self.base_seq = 0

    def deliver(self, envelope: Envelope) -> None:
        """Hand a frame to the sockets attached here: the same encoded text, and the same framed bytes
        for sockets written directly, for every receiver of the same text."""
        if envelope.to is not None:
            target = self.attached.get(envelope.to)
            if target is not None:
                target.send(envelope.text)
        elif envelope.views is None:
            if self.attached:
                text = envelope.text
                payload = text.encode()
                framed = HEADS[len(payload)] + payload if len(payload) < 2048 else frame_text(text)
                broadcast(self.attached.values(), text, framed)
        else:
            self._deliver_views(envelope)
        if envelope.kind in MEMBERSHIP:
            self.on_membership(self, envelope)

    def _deliver_views(self, envelope: Envelope) -> None:
        """Each socket's own text, framed once per distinct text; :meth:`Connection.send` without the
        call in the common case, as :func:`broadcast` does (every view of every real-time room comes
        this way, to every member)."""
        views = envelope.views or {}
        default = envelope.text
        framed: dict[int, bytes] = {}
        for session_id, conn in self.attached.items():
            text = views.get(session_id) or default
            if text:
                key = id(text)
                data = framed.get(key)
                if data is None:
                    data = framed[key] = frame_text(text)
                outbox = conn._outbox
                if (
                    len(outbox) < conn.outbox_size
                    and conn.held is None
                    and conn._wire is not None
                    and not conn.closed
                ):
                    outbox.append(data)
                    if not conn._flush_due:
                        conn._flush_due = True
                        conn._flushes.add(conn)
                else:
                    conn.send(text, data)

    @property
    def idle(self) -> bool:
        """Nobody is attached and nobody is waiting to come back: the channel can go."""
        return not self.attached and not self.grace
