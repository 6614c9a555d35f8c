"""Client frames: decoded and validated once, with a coded error for anything malformed.

:func:`decode` raises nothing but :class:`FrameError`, whatever the input: text that is not JSON,
numbers out of range, nesting deeper than :data:`MAX_DEPTH`, a top level that is not an object,
fields of the wrong type.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from roomservice.protocol import codes
from roomservice.protocol.edits import EditOp

# Server frames are built and encoded in ``messages``; these two stay importable from here.
from roomservice.protocol.messages import encode as encode
from roomservice.protocol.messages import error as error

CHAT_MAX = 500
#: The longest game id a ``lobby_subscribe`` may name.
GAME_MAX = 40
#: Arrays and objects nested in one frame, the frame itself counted: 32 is plenty for any game move.
MAX_DEPTH = 32
#: ``ref`` and ``last_seq`` stay within the integers every JSON client reads exactly (JavaScript's).
INT_MAX = 2**53 - 1

SafeInt = Annotated[int, msgspec.Meta(ge=-INT_MAX, le=INT_MAX)]


# Unknown fields are refused by the typed pass only so that it never skips over a value unseen: a frame
# that has some takes the slower path, which checks its nesting and then drops them (see decode).
class _Frame(msgspec.Struct, tag_field="type", forbid_unknown_fields=True):
    ref: str | SafeInt | None = None


class Chat(_Frame, tag="chat"):
    text: str = ""


class Ping(_Frame, tag="ping"):
    pass


class Resume(_Frame, tag="resume"):
    room_code: str = ""
    last_seq: SafeInt = -1


class Action(_Frame, tag="action"):
    payload: Any = None


#: A game id as the lobby filter takes it: the registry's ids are short lowercase names.
GameId = Annotated[str, msgspec.Meta(min_length=1, max_length=GAME_MAX)]


class LobbySubscribe(_Frame, tag="lobby_subscribe"):
    """Follow the lobby (of one game, or of every game when ``game`` is absent)."""

    game: GameId | None = None


class LobbyUnsubscribe(_Frame, tag="lobby_unsubscribe"):
    pass


# -- the workshop (docs/workshop.md) ---------------------------------------------------------------

#: A project id as ``project_open`` takes it (the server's ids are UUIDs).
ProjectId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
#: Long enough for any value the rules might be asked to judge (a name is at most 80 characters, a
#: description 1,000): anything longer is refused by the decoder, before the rules.
MetaText = Annotated[str, msgspec.Meta(max_length=2000)]
Usernames = Annotated[list[Annotated[str, msgspec.Meta(max_length=64)]], msgspec.Meta(max_length=200)]


class ProjectOpen(_Frame, tag="project_open", kw_only=True):
    """Open a project: join its room. ``last_seq``, when the socket comes back to a project it had
    open, asks for the frames missed since instead of a new snapshot."""

    project_id: ProjectId
    last_seq: SafeInt = -1


class ProjectLeave(_Frame, tag="project_leave"):
    pass


class Edit(_Frame, tag="edit", kw_only=True):
    op: EditOp


class Undo(_Frame, tag="undo"):
    pass


class Redo(_Frame, tag="redo"):
    pass


class Cursor(_Frame, tag="cursor"):
    """Where the collaborator points: a cell, or none at all (every coordinate null or absent)."""

    x: SafeInt | None = None
    y: SafeInt | None = None
    z: SafeInt | None = None


class Save(_Frame, tag="save"):
    pass


class MetaChange(_Frame, tag="meta_change"):
    """``{attribute: value}``: any of these, at least one; an absent one is left as it is."""

    name: MetaText | msgspec.UnsetType = msgspec.UNSET
    description: MetaText | msgspec.UnsetType = msgspec.UNSET
    collaborators: Usernames | msgspec.UnsetType = msgspec.UNSET
    owner: MetaText | msgspec.UnsetType = msgspec.UNSET


#: The frames the workshop handles (the hub hands them to its project desk).
WorkshopFrame = ProjectOpen | ProjectLeave | Edit | Undo | Redo | Cursor | Save | MetaChange
WORKSHOP_FRAMES = (ProjectOpen, ProjectLeave, Edit, Undo, Redo, Cursor, Save, MetaChange)

ClientFrame = (
    Chat
    | Ping
    | Resume
    | Action
    | LobbySubscribe
    | LobbyUnsubscribe
    | ProjectOpen
    | ProjectLeave
    | Edit
    | Undo
    | Redo
    | Cursor
    | Save
    | MetaChange
)
_CLASSES: dict[str, type[ClientFrame]] = {
    "chat": Chat,
    "ping": Ping,
    "resume": Resume,
    "action": Action,
    "lobby_subscribe": LobbySubscribe,
    "lobby_unsubscribe": LobbyUnsubscribe,
    "project_open": ProjectOpen,
    "project_leave": ProjectLeave,
    "edit": Edit,
    "undo": Undo,
    "redo": Redo,
    "cursor": Cursor,
    "save": Save,
    "meta_change": MetaChange,
}
TYPES = tuple(_CLASSES)
_FIELDS = {kind: frozenset(("type", *cls.__struct_fields__)) for kind, cls in _CLASSES.items()}

_decoder = msgspec.json.Decoder(ClientFrame)
#: What msgspec raises on bad input besides its own errors: RecursionError past its own nesting limit,
#: UnicodeError for bytes that are not UTF-8 or for a str holding a lone surrogate.
_BAD_INPUT = (msgspec.MsgspecError, RecursionError, UnicodeError)
#: The shortest action frame nesting deeper than MAX_DEPTH: MAX_DEPTH pairs of brackets as its payload.
_DEEP_ACTION = len('{"type":"action","payload":}') + 2 * MAX_DEPTH


class FrameError(Exception):
    """A frame that cannot be handled; answered with an ``error`` frame, the socket stays open."""

    def __init__(self, code: str, message: str, ref: str | int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.ref = ref


def decode(data: str | bytes) -> ClientFrame:
    """Decode one client frame or raise :class:`FrameError` saying what is wrong with it.

    A well-formed frame without unknown fields takes one typed pass: only an ``action``'s payload can
    nest, and it is looked at only when the frame holds enough brackets to be too deep. Anything else
    is decoded once more, generically, to check its nesting and tell the client what is wrong."""
    try:
        frame: ClientFrame = _decoder.decode(data)
    except _BAD_INPUT:
        frame = _lenient(data)
    else:
        if type(frame) is Action and len(data) >= _DEEP_ACTION and _brackets(data) > MAX_DEPTH:
            _check_depth(frame.payload, MAX_DEPTH - 1, frame.ref)
    if type(frame) is Chat and (len(frame.text) > CHAT_MAX or not frame.text.strip()):
        raise FrameError(codes.INVALID_CHAT, f"Chat text is 1–{CHAT_MAX} characters.", frame.ref)
    return frame


def _lenient(data: str | bytes) -> ClientFrame:
    """The frame the typed pass refused, if it is one with unknown fields; else why it is refused."""
    try:
        raw = msgspec.json.decode(data)
    except msgspec.ValidationError:  # JSON, but with a number no integer or float holds (1e400)
        raise FrameError(codes.INVALID_FRAME, "A number in the frame is out of range.") from None
    except RecursionError:
        raise FrameError(codes.INVALID_FRAME, f"The frame nests deeper than {MAX_DEPTH} levels.") from None
    except (msgspec.DecodeError, UnicodeError):
        raise FrameError(codes.INVALID_JSON, "The frame is not valid JSON.") from None
    ref = _ref_of(raw)
    _check_depth(raw, MAX_DEPTH, ref)
    kind = raw.get("type") if isinstance(raw, dict) else None
    if not isinstance(kind, str):
        raise FrameError(codes.INVALID_FRAME, "A frame is a JSON object with a string 'type'.", ref)
    if kind not in _FIELDS:
        raise FrameError(codes.UNKNOWN_TYPE, f"Unknown frame type {kind[:40]!r}.", ref)
    known = _FIELDS[kind]
    try:
        frame: ClientFrame = msgspec.convert({k: v for k, v in raw.items() if k in known}, ClientFrame)
    except msgspec.ValidationError as exc:
        raise FrameError(codes.INVALID_FRAME, f"Bad {kind} frame: {exc}", ref) from None
    return frame


def _ref_of(raw: Any) -> str | int | None:
    """The ``ref`` to echo in a refusal: only one the client can read back as it sent it."""
    ref = raw.get("ref") if isinstance(raw, dict) else None
    if isinstance(ref, str) or (isinstance(ref, int) and not isinstance(ref, bool) and abs(ref) <= INT_MAX):
        return ref
    return None


def _brackets(data: str | bytes) -> int:
    """An upper bound on the nesting of ``data``, found at C speed: its ``[`` and ``{``, strings included."""
    if isinstance(data, str):
        return data.count("[") + data.count("{")
    return data.count(b"[") + data.count(b"{")


def _check_depth(value: Any, limit: int, ref: str | int | None) -> None:
    """Refuse ``value`` nesting arrays and objects more than ``limit`` deep; level by level, no recursion."""
    level = [value] if isinstance(value, dict | list) else []
    for _ in range(limit):
        level = [
            child
            for container in level
            for child in (container.values() if isinstance(container, dict) else container)
            if isinstance(child, dict | list)
        ]
        if not level:
            return
    raise FrameError(codes.INVALID_FRAME, f"The frame nests deeper than {MAX_DEPTH} levels.", ref)
