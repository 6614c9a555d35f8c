"""Server frames as typed events: the server's own frame Structs (``roomservice.protocol.messages``),
decoded in one pass, with rooms, members and times as the client's models.

A frame type this client does not know (a newer server may add some) or a known type in a shape it
cannot read becomes :class:`Unknown`, which keeps the raw fields, instead of breaking the stream.
See docs/protocol.md for every frame.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from roomservice.client.models import Member, Room
from roomservice.protocol.messages import (
    FRAMES,
    Chat,
    CollaboratorJoined,
    CollaboratorLeft,
    CursorMoved,
    EditApplied,
    Error,
    GameEvent,
    GameState,
    HostChanged,
    Kicked,
    LobbyRoomAdded,
    LobbyRoomRemoved,
    LobbyRoomUpdated,
    LobbySnapshot,
    MatchCountdown,
    MatchFound,
    MatchTimeout,
    MetaChanged,
    PlayerDisconnected,
    PlayerJoined,
    PlayerLeft,
    PlayerReconnected,
    Pong,
    ProjectClosed,
    ProjectSnapshot,
    RoomClosed,
    RoomFrame,
    RoomState,
    RoomUpdated,
    Saved,
    ServerFrame,
)

__all__ = [
    "TYPES",
    "Chat",
    "CollaboratorJoined",
    "CollaboratorLeft",
    "CursorMoved",
    "EditApplied",
    "Error",
    "Event",
    "GameEvent",
    "GameState",
    "HostChanged",
    "Kicked",
    "Known",
    "LobbyRoomAdded",
    "LobbyRoomRemoved",
    "LobbyRoomUpdated",
    "LobbySnapshot",
    "MatchCountdown",
    "MatchFound",
    "MatchTimeout",
    "MetaChanged",
    "PlayerDisconnected",
    "PlayerJoined",
    "PlayerLeft",
    "PlayerReconnected",
    "Pong",
    "ProjectClosed",
    "ProjectSnapshot",
    "RoomClosed",
    "RoomState",
    "RoomUpdated",
    "Saved",
    "Unknown",
    "decode",
    "seq_of",
    "type_of",
]


class Unknown(msgspec.Struct, kw_only=True, frozen=True):
    """A frame this client cannot type: its ``type``, its ``seq`` if it has one, and every field."""

    type: str
    seq: int | None = None
    data: dict[str, Any] = {}


#: What this client decodes each frame to: the server's frame with the client's models inside.
Known = (
    RoomState[Room, Member, Chat[datetime]]
    | PlayerJoined[Member]
    | PlayerLeft
    | PlayerDisconnected
    | PlayerReconnected
    | HostChanged
    | RoomUpdated[Room]
    | Chat[datetime]
    | Kicked
    | RoomClosed
    | GameState
    | GameEvent
    | MatchFound
    | MatchCountdown
    | MatchTimeout
    | LobbySnapshot[Room]
    | LobbyRoomAdded[Room]
    | LobbyRoomUpdated[Room]
    | LobbyRoomRemoved[Room]
    | ProjectSnapshot
    | CollaboratorJoined
    | CollaboratorLeft
    | EditApplied
    | CursorMoved
    | MetaChanged
    | Saved
    | ProjectClosed
    | Pong
    | Error
)
Event = Known | Unknown

#: Every known frame type and the class it decodes to.
TYPES: dict[str, type[ServerFrame]] = {str(cls.__struct_config__.tag): cls for cls in FRAMES}

_decoder: msgspec.json.Decoder[Known] = msgspec.json.Decoder(Known)


def decode(data: str | bytes) -> Event:
    """One server frame as an event. Raises ``msgspec.DecodeError`` only when it is not JSON."""
    try:
        return _decoder.decode(data)
    except msgspec.ValidationError:
        raw = msgspec.json.decode(data)
    if not isinstance(raw, dict):
        return Unknown(type="", data={"value": raw})
    kind, seq = raw.get("type"), raw.get("seq")
    return Unknown(
        type=kind if isinstance(kind, str) else "",
        seq=seq if isinstance(seq, int) and not isinstance(seq, bool) else None,
        data=raw,
    )


def type_of(event: Event) -> str:
    """The frame type an event came from (``"chat"``, ``"game_state"``, …)."""
    return event.type


def seq_of(event: Event) -> int | None:
    """The room seq an event carries; None for frames outside a room's sequence (pong, error)."""
    if isinstance(event, RoomFrame | Unknown):
        return event.seq
    return None
