"""Server frames as typed events: one frozen msgspec Struct per frame type, decoded in one pass.

A frame type this client does not know (a newer server may add some) or a known type in a shape it
cannot read becomes :class:`Unknown`, which keeps the raw fields, instead of breaking the stream.
See docs/protocol.md for every frame.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from roomservice.client.models import Member, Room


class _Frame(msgspec.Struct, tag_field="type", kw_only=True, frozen=True):
    pass


class _RoomFrame(_Frame, frozen=True):
    #: The room's sequence number: increasing, one per frame published in the room.
    seq: int


class Chat(_RoomFrame, tag="chat", frozen=True):
    """A chat line. ``sender`` is the ``from`` field of the frame: the sender's username."""

    sender: str = msgspec.field(name="from")
    session_id: str
    text: str
    at: datetime


class RoomState(_RoomFrame, tag="room_state", frozen=True):
    """The whole room as of ``seq``: sent when a socket attaches to a room (on connect or join) and
    when a ``resume`` reaches back further than the server keeps frames."""

    room: Room
    players: list[Member]
    #: Recent chat lines, oldest first.
    chat: list[Chat] = []


class PlayerJoined(_RoomFrame, tag="player_joined", frozen=True):
    player: Member


class PlayerLeft(_RoomFrame, tag="player_left", frozen=True):
    session_id: str
    username: str
    role: str
    #: ``left``, ``kicked``, ``disconnected`` (grace ran out) or another reason the server names.
    reason: str


class PlayerDisconnected(_RoomFrame, tag="player_disconnected", frozen=True):
    session_id: str
    username: str


class PlayerReconnected(_RoomFrame, tag="player_reconnected", frozen=True):
    session_id: str
    username: str


class HostChanged(_RoomFrame, tag="host_changed", frozen=True):
    host_session_id: str | None
    username: str | None


class RoomUpdated(_RoomFrame, tag="room_updated", frozen=True):
    room: Room


class Kicked(_RoomFrame, tag="kicked", frozen=True):
    session_id: str


class RoomClosed(_RoomFrame, tag="room_closed", frozen=True):
    reason: str


class GameState(_RoomFrame, tag="game_state", frozen=True):
    """The receiver's own view of the game (the spectator view for spectators)."""

    game: str
    #: Counts games played in the room: 1, 2, … (play again starts the next).
    game_no: int
    #: Counts state changes within the game.
    version: int
    #: The game's view, as documented per game in docs/games.md.
    state: Any
    #: None while the game runs; the game's result once it is over.
    result: Any = None
    #: In the actor's own frame after an accepted action: the ``ref`` that action carried.
    ref: str | int | None = None


class GameEvent(_RoomFrame, tag="game_event", frozen=True):
    game: str
    event: str
    data: Any = None


class MatchFound(_Frame, tag="match_found", frozen=True):
    """The session's matchmaking ticket was matched: it is seated in ``room_code`` already, and that
    room's ``RoomState`` follows."""

    ticket_id: str
    room_code: str


class MatchCountdown(_RoomFrame, tag="match_countdown", frozen=True):
    """The matchmaking room starts by itself at ``starts_at`` (epoch milliseconds) unless it fills
    first."""

    room_code: str
    starts_at: int


class MatchTimeout(_Frame, tag="match_timeout", frozen=True):
    """The session's ticket found no match in time and expired."""

    ticket_id: str


class Pong(_Frame, tag="pong", frozen=True):
    ref: str | int | None = None


class Error(_Frame, tag="error", frozen=True):
    """A refused frame. ``ref`` echoes the ``ref`` of the frame it answers, when it had one."""

    code: str
    message: str
    ref: str | int | None = None


class Unknown(msgspec.Struct, kw_only=True, frozen=True):
    """A frame this client cannot type: its ``type``, its ``seq`` if it has one, and every field."""

    type: str
    seq: int | None = None
    data: dict[str, Any] = {}


Known = (
    RoomState
    | PlayerJoined
    | PlayerLeft
    | PlayerDisconnected
    | PlayerReconnected
    | HostChanged
    | RoomUpdated
    | Chat
    | Kicked
    | RoomClosed
    | GameState
    | GameEvent
    | MatchFound
    | MatchCountdown
    | MatchTimeout
    | Pong
    | Error
)
Event = Known | Unknown

#: Every known frame type and the class it decodes to.
TYPES: dict[str, type[Known]] = {
    str(cls.__struct_config__.tag): cls
    for cls in (
        RoomState,
        PlayerJoined,
        PlayerLeft,
        PlayerDisconnected,
        PlayerReconnected,
        HostChanged,
        RoomUpdated,
        Chat,
        Kicked,
        RoomClosed,
        GameState,
        GameEvent,
        MatchFound,
        MatchCountdown,
        MatchTimeout,
        Pong,
        Error,
    )
}

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
    if isinstance(event, Unknown):
        return event.type
    return str(event.__struct_config__.tag)


def seq_of(event: Event) -> int | None:
    """The room seq an event carries; None for frames outside a room's sequence (pong, error)."""
    if isinstance(event, _RoomFrame | Unknown):
        return event.seq
    return None
