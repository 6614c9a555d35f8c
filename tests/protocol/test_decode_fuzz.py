"""Random input of every shape for ``decode``: a valid frame or a coded FrameError, never anything else.

Fast by default; ``ROOMSERVICE_FUZZ_EXAMPLES=20000 .venv/bin/pytest tests/protocol`` runs a long fuzz.
"""

from __future__ import annotations

from typing import Any

import msgspec
from hypothesis import example, given
from hypothesis import strategies as st

from roomservice.protocol.edits import EditOp
from roomservice.protocol.frames import (
    CHAT_MAX,
    GAME_MAX,
    INT_MAX,
    MAX_DEPTH,
    WORKSHOP_FRAMES,
    Action,
    Chat,
    ClientFrame,
    Cursor,
    Edit,
    FrameError,
    LobbySubscribe,
    LobbyUnsubscribe,
    MetaChange,
    Ping,
    ProjectLeave,
    ProjectOpen,
    Redo,
    Resume,
    Save,
    Undo,
    decode,
)
from tests.protocol.strategies import anything, damaged, dump, frames, fuzz_settings

CODES = {"invalid_json", "invalid_frame", "unknown_type", "invalid_chat"}


def _outcome(data: str | bytes) -> ClientFrame | FrameError:
    """What ``decode`` makes of ``data``; any exception but FrameError fails the test."""
    try:
        frame = decode(data)
    except FrameError as exc:
        assert exc.code in CODES, exc.code
        assert exc.ref is None or isinstance(exc.ref, str) or abs(exc.ref) <= INT_MAX
        return exc
    assert isinstance(frame, (Chat, Ping, Resume, Action, LobbySubscribe, LobbyUnsubscribe, *WORKSHOP_FRAMES))
    assert frame.ref is None or isinstance(frame.ref, str) or abs(frame.ref) <= INT_MAX
    if isinstance(frame, Chat):
        assert frame.text.strip() and len(frame.text) <= CHAT_MAX
    return frame


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= INT_MAX


def _expected(value: Any) -> str | ClientFrame:
    """The rules of docs/protocol.md, written out plainly: an error code, or the frame."""
    if _depth(value) > MAX_DEPTH:
        return "invalid_frame"
    if not isinstance(value, dict) or not isinstance(value.get("type"), str):
        return "invalid_frame"
    kind, ref = value["type"], value.get("ref")
    if kind not in ("chat", "ping", "resume", "action", "lobby_subscribe", "lobby_unsubscribe", *WORKSHOP):
        return "unknown_type"
    if not (ref is None or isinstance(ref, str) or _int(ref)):
        return "invalid_frame"
    if kind in WORKSHOP:
        return _workshop(kind, ref, value)
    if kind == "chat":
        text = value.get("text", "")
        if not isinstance(text, str):
            return "invalid_frame"
        return "invalid_chat" if len(text) > CHAT_MAX or not text.strip() else Chat(ref=ref, text=text)
    if kind == "resume":
        code, seq = value.get("room_code", ""), value.get("last_seq", -1)
        if not isinstance(code, str) or not _int(seq):
            return "invalid_frame"
        return Resume(ref=ref, room_code=code, last_seq=seq)
    if kind == "action":
        return Action(ref=ref, payload=value.get("payload"))
    if kind == "lobby_subscribe":
        game = value.get("game")
        if not (game is None or (isinstance(game, str) and 1 <= len(game) <= GAME_MAX)):
            return "invalid_frame"
        return LobbySubscribe(ref=ref, game=game)
    if kind == "lobby_unsubscribe":
        return LobbyUnsubscribe(ref=ref)
    return Ping(ref=ref)


WORKSHOP = {
    "project_open": ProjectOpen,
    "project_leave": ProjectLeave,
    "edit": Edit,
    "undo": Undo,
    "redo": Redo,
    "cursor": Cursor,
    "save": Save,
    "meta_change": MetaChange,
}


def _text(value: Any, longest: int, shortest: int = 0) -> bool:
    return isinstance(value, str) and shortest <= len(value) <= longest


def _workshop(kind: str, ref: Any, value: dict[str, Any]) -> str | ClientFrame:
    """docs/workshop.md's shapes: an edit's ``op`` is checked by its own schema (tests/workshop)."""
    if kind == "project_open":
        project_id, seq = value.get("project_id"), value.get("last_seq", -1)
        if not _text(project_id, 64, 1) or not _int(seq):
            return "invalid_frame"
        return ProjectOpen(ref=ref, project_id=project_id, last_seq=seq)
    if kind == "edit":
        try:
            return Edit(ref=ref, op=msgspec.convert(value["op"], EditOp))
        except (KeyError, msgspec.ValidationError):
            return "invalid_frame"
    if kind == "cursor":
        cell = [value.get(axis) for axis in "xyz"]
        if not all(v is None or _int(v) for v in cell):
            return "invalid_frame"
        return Cursor(ref=ref, x=cell[0], y=cell[1], z=cell[2])
    if kind == "meta_change":
        fields = {k: value[k] for k in ("name", "description", "owner", "collaborators") if k in value}
        names = fields.get("collaborators", [])
        if not all(_text(v, 2000) for k, v in fields.items() if k != "collaborators") or not (
            isinstance(names, list) and len(names) <= 200 and all(_text(n, 64) for n in names)
        ):
            return "invalid_frame"
        return MetaChange(ref=ref, **fields)
    return WORKSHOP[kind](ref=ref)  # type: ignore[return-value]


@fuzz_settings
@given(st.text(st.characters(exclude_categories=())) | st.binary())
@example("[oops")
@example("123abc")
@example(b'{"type":"chat","text":"\xc3"}')
def test_any_text_or_bytes(data: str | bytes) -> None:
    _outcome(data)


@fuzz_settings
@given(frames)
def test_frames_follow_the_documented_rules(value: dict[str, Any]) -> None:
    got = _outcome(dump(value))
    expected = _expected(value)
    assert (got.code if isinstance(got, FrameError) else got) == expected


@fuzz_settings
@given(anything.map(dump) | damaged())
def test_any_shape_odd_numbers_and_damaged_text(text: str) -> None:
    _outcome(text)
    _outcome(text.encode("utf-8", "surrogatepass"))
