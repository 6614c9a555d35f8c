"""One room as this node's hub holds it: the sequence counter, the resume buffer, recent chat, the
sockets attached here and the grace timers of players whose socket dropped."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterator
from typing import Any

from roomservice.broker.base import Envelope
from roomservice.realtime.connection import Connection
from roomservice.realtime.wire import frame_text


class RoomChannel:
    def __init__(
        self, room_id: str, room_code: str, first_seq: int, buffer_size: int, chat_size: int
    ) -> None:
        self.room_id = room_id
        self.room_code = room_code
        #: The seq of the last frame published for the room.
        self.seq = first_seq - 1
        self.buffer: deque[Envelope] = deque(maxlen=buffer_size)
        self.chat: deque[dict[str, Any]] = deque(maxlen=chat_size)
        self.attached: dict[str, Connection] = {}
        self.grace: dict[str, asyncio.TimerHandle] = {}
        #: Session ids whose socket dropped; they stay seated until grace runs out.
        self.offline: set[str] = set()
        #: Whether the saved chat history has been read into ``chat`` (once per channel).
        self.history_loaded = False
        self.history_lock = asyncio.Lock()

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def record(self, envelope: Envelope) -> None:
        self.buffer.append(envelope)

    def deliver(self, envelope: Envelope) -> None:
        """Hand a frame to the sockets attached here: the same encoded text, and the same framed bytes
        for sockets written directly, for every receiver."""
        if envelope.to is None:
            if self.attached:
                text = envelope.text
                framed = frame_text(text)
                for conn in self.attached.values():
                    conn.send(text, framed)
        else:
            target = self.attached.get(envelope.to)
            if target is not None:
                target.send(envelope.text)

    def missed(self, session_id: str, after: int, upto: int) -> Iterator[Envelope] | None:
        """Frames for ``session_id`` with ``after < seq <= upto``, or None when the buffer no longer
        reaches back that far (the caller then sends a fresh room_state)."""
        if after >= upto:
            return iter(())  # nothing newer than what the socket already has (upto <= self.seq)
        oldest = self.buffer[0].seq if self.buffer else self.seq + 1
        if oldest > after + 1:
            return None
        return (e for e in self.buffer if after < e.seq <= upto and (e.to is None or e.to == session_id))

    @property
    def idle(self) -> bool:
        """Nobody is attached and nobody is waiting to come back: the channel can go."""
        return not self.attached and not self.grace
