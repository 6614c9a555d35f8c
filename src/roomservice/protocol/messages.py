"""Server frames, defined once: the server builds and encodes these Structs, ``roomservice.client``
decodes into the same classes. docs/protocol.md describes every one.

Each class is the only place its frame's wire shape is written: the ``type`` tag, the field names
(``Chat.sender`` travels as ``from``) and which fields are left out when empty (``ref``). Room frames
carry ``seq``, which the room's owner sets when it numbers the frame (``realtime.outbox``), so it is
a plain mutable field: a frame is built, numbered and encoded once.

Nested bodies are type parameters, because the two sides hold them differently: the server passes
the room and its members as the plain dicts it already has (``Room.to_dict()``) and a chat line's
time as the text it formatted, while the client decodes them into its models (``client.models.Room``,
``Member``, a ``datetime``). Game-defined payloads (views, event data, results) stay ``Any``.
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar

import msgspec

#: The room body: ``dict[str, Any]`` on the server, ``client.models.Room`` in the client.
RoomT = TypeVar("RoomT")
#: A member: ``dict[str, Any]`` on the server, ``client.models.Member`` in the client.
MemberT = TypeVar("MemberT")
#: A chat line in ``room_state``: a server ``Chat[str]`` there, a ``Chat[datetime]`` in the client.
LineT = TypeVar("LineT")
#: A chat line's time: ISO 8601 text on the server, a ``datetime`` in the client.
TimeT = TypeVar("TimeT")

Ref = str | int | None


class ServerFrame(msgspec.Struct, tag_field="type", kw_only=True):
    """Any frame the server sends."""

    #: The frame's ``type`` (its tag), for code that routes frames without encoding them. A class
    #: attribute, set below from each class's tag: read once per frame the outbox publishes.
    type: ClassVar[str] = ""


class RoomFrame(ServerFrame, kw_only=True):
    """A frame about one room: it carries the room's ``seq``."""

    #: The room's sequence number: increasing, one per frame published in the room. Set by the
    #: room's owner when it numbers the frame; 0 until then.
    seq: int = 0


class Chat(RoomFrame, Generic[TimeT], tag="chat", kw_only=True):
    """A chat line. ``sender`` is the ``from`` field of the frame: the sender's username."""

    sender: str = msgspec.field(name="from")
    session_id: str
    text: str
    #: When it was said, ISO 8601 in UTC.
    at: TimeT


class RoomState(RoomFrame, Generic[RoomT, MemberT, LineT], tag="room_state", kw_only=True):
    """The whole room as of ``seq``: sent when a socket attaches to a room (on connect or join) and
    when a ``resume`` reaches back further than the server keeps frames."""

    room: RoomT
    #: ``room.players`` repeated; every member here and in ``room`` carries ``online``.
    players: list[MemberT]
    #: Recent chat lines, oldest first.
    chat: list[LineT] = []


class PlayerJoined(RoomFrame, Generic[MemberT], tag="player_joined", kw_only=True):
    player: MemberT


class PlayerLeft(RoomFrame, tag="player_left", kw_only=True):
    session_id: str
    username: str
    role: str
    #: ``left``, ``kicked``, ``disconnected`` (grace ran out) or another reason the server names.
    reason: str


class PlayerDisconnected(RoomFrame, tag="player_disconnected", kw_only=True):
    session_id: str
    username: str


class PlayerReconnected(RoomFrame, tag="player_reconnected", kw_only=True):
    session_id: str
    username: str


class HostChanged(RoomFrame, tag="host_changed", kw_only=True):
    #: Both None when no player is left in a room kept with ``keep_when_empty``.
    host_session_id: str | None
    username: str | None


class RoomUpdated(RoomFrame, Generic[RoomT], tag="room_updated", kw_only=True):
    room: RoomT


class Kicked(RoomFrame, tag="kicked", kw_only=True):
    session_id: str


class RoomClosed(RoomFrame, tag="room_closed", kw_only=True):
    #: ``deleted``, ``empty`` or ``expired``.
    reason: str


class GameState(RoomFrame, tag="game_state", kw_only=True, omit_defaults=True):
    """The receiver's own view of the game (the spectator view for spectators). Only ``ref`` (and
    ``game_id``, for older servers' frames) have defaults, so only they are left out when None."""

    game: str
    #: The game's id: once the game is over, its replay is ``GET /api/replays/{game_id}``. The server
    #: always sends it; the default only lets a client read frames of a server that predates it.
    game_id: str | None = None
    #: Counts games played in the room: 1, 2, … (play again starts the next).
    game_no: int
    #: Counts state changes within the game.
    version: int
    #: The game's view, as documented per game in docs/games.md.
    state: Any
    #: None while the game runs; the game's result once it is over.
    result: Any
    #: In the actor's own frame after an accepted action: the ``ref`` that action carried.
    ref: Ref = None


class GameEvent(RoomFrame, tag="game_event", kw_only=True):
    game: str
    event: str
    data: Any = None


class MatchFound(ServerFrame, tag="match_found", kw_only=True):
    """The session's matchmaking ticket was matched: it is seated in ``room_code`` already, and that
    room's ``room_state`` follows. Sent to the session's socket, outside any room (no ``seq``)."""

    ticket_id: str
    room_code: str


class MatchCountdown(RoomFrame, tag="match_countdown", kw_only=True):
    """The matchmaking room starts by itself at ``starts_at`` (epoch milliseconds) unless it fills
    first."""

    room_code: str
    starts_at: int


class MatchTimeout(ServerFrame, tag="match_timeout", kw_only=True):
    """The session's ticket found no match in time and expired (no ``seq``)."""

    ticket_id: str


class LobbySnapshot(ServerFrame, Generic[RoomT], tag="lobby_snapshot", kw_only=True):
    """The answer to ``lobby_subscribe``: every public room of the followed lobby, newest first, as
    ``GET /api/rooms`` shows them. Lobby frames are outside any room (no ``seq``)."""

    #: The game followed; None for every game.
    game: str | None
    rooms: list[RoomT]


class LobbyRoomAdded(ServerFrame, Generic[RoomT], tag="lobby_room_added", kw_only=True):
    """A public room was created."""

    room: RoomT


class LobbyRoomUpdated(ServerFrame, Generic[RoomT], tag="lobby_room_updated", kw_only=True):
    """A public room changed: members, host, config or state."""

    room: RoomT


class LobbyRoomRemoved(ServerFrame, Generic[RoomT], tag="lobby_room_removed", kw_only=True):
    """A public room is gone (closed, emptied or expired); ``room`` is how it last stood."""

    room: RoomT


# -- the workshop (docs/workshop.md): a project's room, numbered like any room -----------------------


class ProjectSnapshot(RoomFrame, tag="project_snapshot", kw_only=True):
    """The open project as of ``seq``: sent to the socket that opens it (and to one whose
    ``project_open`` asks for frames too old to replay)."""

    #: ``{id, name, description, owner, collaborators, version, saved_at, created_at, updated_at}``.
    project: Any
    #: ``{size, cubes}`` with every edit applied so far, saved or not.
    content: Any
    #: The collaborators present: ``[{username, cursor}]``, ``cursor`` ``{x, y, z}`` or null.
    present: list[Any]
    #: Edits since the last save.
    changed: bool
    #: Whether the receiver has an edit of their own to undo, or an undone one to redo.
    can_undo: bool
    can_redo: bool


class CollaboratorJoined(RoomFrame, tag="collaborator_joined", kw_only=True):
    username: str


class CollaboratorLeft(RoomFrame, tag="collaborator_left", kw_only=True):
    username: str
    #: ``left``, ``disconnected`` (the reconnect grace ran out) or ``removed`` (no longer a collaborator).
    reason: str


class EditApplied(RoomFrame, tag="edit", kw_only=True, omit_defaults=True):
    """An edit applied, in the project's order: every copy that applies ``set`` and ``removed`` of each
    ``edit`` in ``seq`` order holds the same cubes. ``op`` is what was asked (``{"kind": "undo"}`` and
    ``{"kind": "redo"}`` for those)."""

    by: str
    op: Any
    #: Cubes placed or recoloured: ``[{x, y, z, color}]``.
    placed: list[Any] = msgspec.field(name="set")
    #: Cells emptied: ``[{x, y, z}]``.
    removed: list[Any]
    #: In the sender's own copy only: the ``ref`` of its ``edit``, ``undo`` or ``redo``.
    ref: Ref = None


class CursorMoved(ServerFrame, tag="cursor", kw_only=True):
    """Another collaborator's cursor (not numbered, not replayed: only the latest matters)."""

    username: str
    x: int | None
    y: int | None
    z: int | None


class MetaChanged(RoomFrame, tag="meta_change", kw_only=True):
    """Metadata changed (over the socket or over HTTP) and committed: the attributes that changed,
    and the project as it now stands."""

    by: str
    name: str | msgspec.UnsetType = msgspec.UNSET
    description: str | msgspec.UnsetType = msgspec.UNSET
    owner: str | msgspec.UnsetType = msgspec.UNSET
    collaborators: list[str] | msgspec.UnsetType = msgspec.UNSET
    project: Any


class Saved(RoomFrame, tag="saved", kw_only=True, omit_defaults=True):
    """A save wrote ``version``. ``saved_by`` is null for an autosave (``auto``). A ``save`` with no
    edits since the last one writes nothing: its sender alone gets the last save again, not numbered."""

    saved_by: str | None
    #: ISO 8601, UTC.
    saved_at: str
    version: int
    auto: bool
    ref: Ref = None


class ProjectClosed(ServerFrame, tag="project_closed", kw_only=True):
    """The socket is no longer in the project: ``deleted``, or ``removed`` (no longer a collaborator).
    Sent to the socket itself, as the last frame of the project (no ``seq``)."""

    project_id: str
    reason: str


class Pong(ServerFrame, tag="pong", kw_only=True, omit_defaults=True):
    ref: Ref = None


class Error(ServerFrame, tag="error", kw_only=True, omit_defaults=True):
    """A refused frame. ``ref`` echoes the ``ref`` of the frame it answers, when it had one."""

    code: str
    message: str
    ref: Ref = None


#: Every server frame class, in the order docs/protocol.md lists them.
FRAMES: tuple[type[ServerFrame], ...] = (
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
    LobbySnapshot,
    LobbyRoomAdded,
    LobbyRoomUpdated,
    LobbyRoomRemoved,
    ProjectSnapshot,
    CollaboratorJoined,
    CollaboratorLeft,
    EditApplied,
    CursorMoved,
    MetaChanged,
    Saved,
    ProjectClosed,
    Pong,
    Error,
)

for _cls in FRAMES:
    _cls.type = str(_cls.__struct_config__.tag)

_encoder = msgspec.json.Encoder()


#: A frame's JSON as bytes, for hot paths that want the bytes or save the call of :func:`encode`.
encode_bytes = _encoder.encode


def encode(frame: ServerFrame) -> str:
    """A server frame as the text sent on the wire. Broadcasts are encoded once, not per receiver."""
    return _encoder.encode(frame).decode()


def json_string(text: str) -> str:
    """``text`` as a JSON string, escaped as in every frame."""
    return _encoder.encode(text).decode()


def chat_head(sender: str, session_id: str) -> str:
    """What a :class:`Chat` frame's text holds about who said it: ``"from":…,"session_id":…,``.

    The chat path writes a line's text without building the frame (the hot path of every room):
    ``{"type":"chat","seq":SEQ,`` + this + ``"text":`` + :func:`json_string` of the text +
    ``,"at":"AT"}``, which is what encoding the frame gives, byte for byte (a test holds them equal).
    """
    return f'"from":{json_string(sender)},"session_id":{json_string(session_id)},'


def error(code: str, message: str, ref: Ref = None) -> Error:
    return Error(code=code, message=message, ref=ref)
