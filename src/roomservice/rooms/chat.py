"""Rooms' recent chat: the last lines of each room in memory, read from the database the first time a
room's history is asked for, and saved (with the room's last activity) about once a second, 100 rooms
a transaction, so the cost does not grow with the chat rate and a save never holds the event loop for
long. A crash loses at most the lines since the last save.

In memory a line is the text of the ``chat`` frame that was sent (with its ``seq``), so
``room_state`` carries the very frames; saved, it is that frame's JSON object, and a room's lines are
handed to the store as one JSON array already encoded (the store writes it as it is)."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import msgspec

from roomservice.protocol import messages

#: A line as saved: the chat frame's JSON object.
Line = dict[str, Any]
#: A line checked against the chat frame.
ChatLine = messages.Chat[str]
#: Reads a room's saved lines, oldest first.
LoadLines = Callable[[str], Awaitable[list[Line]]]
#: Saves rooms' recent lines, each room's as one encoded JSON array of lines, and marks the rooms
#: active (``RoomService.touch``).
SaveLines = Callable[[Mapping[str, msgspec.Raw]], Awaitable[None]]


#: Rooms saved per transaction: a flush yields to the event loop between chunks, so saving a
#: thousand chatting rooms never holds the loop for more than one chunk's write.
FLUSH_CHUNK = 100


class _Seq(msgspec.Struct):
    """What merging needs of a line in memory."""

    seq: int


_seq_of = msgspec.json.Decoder(_Seq).decode


class _Room:
    """A room's recent lines: the JSON texts they were sent as."""

    __slots__ = ("texts",)

    def __init__(self, size: int) -> None:
        self.texts: deque[str] = deque(maxlen=size)


class ChatLog:
    def __init__(self, load: LoadLines, save: SaveLines, size: int) -> None:
        self._load = load
        self._save = save
        self.size = size
        self._rooms: dict[str, _Room] = {}
        self._loaded: set[str] = set()
        self._locks: dict[str, asyncio.Lock] = {}
        #: Rooms that chatted since the last save.
        self._touched: set[str] = set()
        #: Rooms to drop from memory once their lines are saved.
        self._released: set[str] = set()
        #: Rooms whose lines the flush under way has yet to save.
        self._saving: set[str] = set()

    def _room(self, room_id: str) -> _Room:
        room = self._rooms.get(room_id)
        if room is None:
            room = self._rooms[room_id] = _Room(self.size)
        return room

    def loaded(self, room_id: str) -> bool:
        return room_id in self._loaded

    async def lines(self, room_id: str) -> list[msgspec.Raw]:
        """The room's recent lines, oldest first, each the chat frame's JSON text: what was saved,
        merged with what was said since."""
        if room_id not in self._loaded:
            lock = self._locks.setdefault(room_id, asyncio.Lock())
            async with lock:
                if room_id not in self._loaded:
                    saved = _typed(await self._load(room_id))
                    current = self._room(room_id)
                    merged = {line.seq: messages.encode(line) for line in saved}
                    merged.update((_seq_of(text).seq, text) for text in current.texts)
                    current.texts.clear()
                    current.texts.extend(merged[seq] for seq in sorted(merged))
                    self._loaded.add(room_id)
            self._locks.pop(room_id, None)
        return self.recent(room_id)

    def recent(self, room_id: str) -> list[msgspec.Raw]:
        """The lines in memory now (complete once :meth:`lines` has run for the room)."""
        room = self._rooms.get(room_id)
        return [msgspec.Raw(text) for text in room.texts] if room else []

    def add(self, room_id: str, text: str) -> None:
        """A line said in the room: the text of the ``chat`` frame it was sent as."""
        room = self._rooms.get(room_id)
        if room is None:
            room = self._room(room_id)
        room.texts.append(text)
        self._touched.add(room_id)
        if self._released:
            self._released.discard(room_id)

    def release(self, room_id: str) -> None:
        """Nobody here watches the room any more: keep nothing once its lines are saved."""
        if room_id in self._touched or room_id in self._saving:
            self._released.add(room_id)
        else:
            self._rooms.pop(room_id, None)
            self._loaded.discard(room_id)

    def forget(self, room_id: str) -> None:
        """The room is gone."""
        self._touched.discard(room_id)
        self._released.discard(room_id)
        self._rooms.pop(room_id, None)
        self._loaded.discard(room_id)

    async def flush(self) -> None:
        """Save every room that chatted since the last flush, ``FLUSH_CHUNK`` rooms a transaction;
        each room's lines are the texts they were sent as, joined into one JSON array."""
        touched, self._touched = self._touched, set()
        self._saving = set(touched)
        try:
            batch: dict[str, msgspec.Raw] = {}
            for room_id in touched:
                room = self._rooms.get(room_id)
                if room is None:
                    continue  # forgotten meanwhile: the room is gone
                batch[room_id] = msgspec.Raw("[" + ",".join(room.texts) + "]")
                if len(batch) >= FLUSH_CHUNK:
                    await self._save(batch)
                    self._saving.difference_update(batch)
                    batch = {}
                    await asyncio.sleep(0)  # let the sockets be served between chunks
            if batch:
                await self._save(batch)
        finally:
            self._saving = set()
        released, self._released = self._released, set()
        for room_id in released:
            if room_id not in self._touched:
                self.release(room_id)


def _typed(saved: list[Line]) -> list[ChatLine]:
    """Saved lines as chat frames; a line that is not one (hand-edited, say) is left out."""
    lines: list[ChatLine] = []
    for raw in saved:
        try:
            lines.append(msgspec.convert(raw, ChatLine))
        except msgspec.ValidationError:
            continue
    return lines
