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
    #: roomservice: the room code the player is seated in (or ""); baselines: the room name.
    room: str = ""
    #: roomservice: the session token.
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

    def path(self, player: Player) -> str:
        raise NotImplementedError

    def chat(self, text: str) -> bytes:
        return b'{"type":"chat","text":"' + text.encode() + b'"}'

    def on_open(self, sock: Socket) -> None:
        sock.set_ready()

    def on_other(self, sock: Socket, data: bytes) -> None:
        """A frame that is not a chat broadcast."""


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


ADAPTERS: dict[str, type[Adapter]] = {a.kind: a for a in (RoomService, Raw, SocketIO)}
