"""How the load generator speaks each server's protocol: the URL of a socket, how a chat is written,
how a chat is recognised, and what to answer before a socket counts as ready.

A chat's text is ``~<sender index>~<send time in monotonic ns>``; every server puts it back in its
broadcast as ``"text":"..."``, which is where receivers find it. ``CLOCK_MONOTONIC`` is shared by every
process of the machine, so the latency from one process's send to another's receipt is exact.
"""

from __future__ import annotations

import dataclasses
from typing import Protocol


@dataclasses.dataclass(frozen=True, slots=True)
class Player:
    index: int
    #: roomservice: the room code the player is seated in (or ""); baselines: the room name;
    #: Colyseus: ``processId/roomId`` of the seat reserved for it.
    room: str = ""
    #: roomservice: the session token; Colyseus: the reserved seat's session id.
    token: str = ""
    #: roomservice: the session id (a game's player id), the room's game, and whether the player is
    #: its host (who starts the next game when one ends).
    session_id: str = ""
    game: str = ""
    host: bool = False


class Socket(Protocol):
    player: Player

    def send_text(self, data: bytes) -> None: ...

    def set_ready(self) -> None: ...

    def fail(self, reason: str) -> None: ...


class Adapter:
    kind = ""
    #: How a chat broadcast starts on the wire.
    chat_prefix = b""
    #: Whether the protocol's frames are binary (Colyseus) rather than text.
    binary = False

    def path(self, player: Player) -> str:
        raise NotImplementedError

    def chat(self, text: str) -> bytes:
        return b'{"type":"chat","text":"' + text.encode() + b'"}'

    def on_open(self, sock: Socket) -> None:
        sock.set_ready()

    def on_other(self, sock: Socket, data: bytes) -> None:
        """A frame that is not a chat broadcast."""

    def chat_text(self, data: bytes) -> bytes:
        """The chat's text in a chat broadcast (a binary protocol's adapter finds it its own way)."""
        start = data.find(b'"text":"') + 8
        return data[start : data.find(b'"', start)]


class RoomService(Adapter):
    kind = "roomservice"
    chat_prefix = b'{"type":"chat"'

    def path(self, player: Player) -> str:
        return f"/ws?token={player.token}"

    def on_open(self, sock: Socket) -> None:
        if not sock.player.room:
            sock.set_ready()  # not seated: no room_state comes

    def on_other(self, sock: Socket, data: bytes) -> None:
        if data.startswith(b'{"type":"room_state"'):
            sock.set_ready()
        elif data.startswith(b'{"type":"error"'):
            sock.fail(data.decode(errors="replace")[:200])


class Raw(Adapter):
    kind = "raw"
    chat_prefix = b'{"type":"chat"'

    def path(self, player: Player) -> str:
        return f"/ws?room={player.room or 'lobby'}&name=p{player.index}"


class SocketIO(Adapter):
    """Engine.IO v4 / Socket.IO v5 text packets over a plain WebSocket."""

    kind = "socketio"
    chat_prefix = b'42["chat"'

    def path(self, player: Player) -> str:
        return "/socket.io/?EIO=4&transport=websocket"

    def chat(self, text: str) -> bytes:
        return b'42["chat",{"text":"' + text.encode() + b'"}]'

    def on_open(self, sock: Socket) -> None:
        pass  # wait for the Engine.IO open packet

    def on_other(self, sock: Socket, data: bytes) -> None:
        if data == b"2":
            sock.send_text(b"3")  # Engine.IO ping -> pong
        elif data.startswith(b"0{"):
            sock.send_text(b"40")  # connect to the default namespace
        elif data.startswith(b"40"):
            if sock.player.room:
                sock.send_text(b'42["join","' + sock.player.room.encode() + b'"]')
            else:
                sock.set_ready()
        elif data.startswith(b'42["joined"'):
            sock.set_ready()
        elif data.startswith(b"44"):
            sock.fail(data.decode(errors="replace")[:200])


def _msgpack_str(data: bytes) -> bytes:
    size = len(data)
    if size < 32:
        return bytes((0xA0 | size,)) + data
    if size < 256:
        return bytes((0xD9, size)) + data
    return bytes((0xDA, size >> 8, size & 0xFF)) + data


class Colyseus(Adapter):
    """Colyseus 0.18's binary protocol over a plain WebSocket: the socket of a seat reserved over HTTP
    (``player.room`` is ``processId/roomId``, ``player.token`` the seat's session id); the server's
    ``JOIN_ROOM`` (10) is acknowledged with the same byte; a chat is ``ROOM_DATA`` (13), the message
    type as a string and a msgpack ``{"text": ...}``, and comes back as the room's broadcast."""

    kind = "colyseus"
    binary = True
    chat_prefix = b"\x0d\xa4chat"
    _TEXT_KEY = b"\xa4text"

    def path(self, player: Player) -> str:
        return f"/{player.room}?sessionId={player.token}"

    def chat(self, text: str) -> bytes:
        return b"\x0d\xa4chat\x81\xa4text" + _msgpack_str(text.encode())

    def on_open(self, sock: Socket) -> None:
        pass  # wait for JOIN_ROOM

    def on_other(self, sock: Socket, data: bytes) -> None:
        if data[:1] == b"\x0a":
            sock.send_text(b"\x0a")  # the join, acknowledged
            sock.set_ready()
        elif data[:1] == b"\x0b":
            sock.fail(f"Colyseus error frame {data[:200]!r}")

    def chat_text(self, data: bytes) -> bytes:
        at = data.find(self._TEXT_KEY) + len(self._TEXT_KEY)
        head = data[at]
        if head & 0xE0 == 0xA0:
            return data[at + 1 : at + 1 + (head & 0x1F)]
        if head == 0xD9:
            return data[at + 2 : at + 2 + data[at + 1]]
        return data[at + 3 : at + 3 + int.from_bytes(data[at + 1 : at + 3], "big")]


ADAPTERS: dict[str, type[Adapter]] = {a.kind: a for a in (RoomService, Raw, SocketIO, Colyseus)}
