"""Server frames without a server: each encodes to the shape docs/protocol.md documents, and the
Python client decodes what the server encodes into the same class, with its own models inside."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest

from roomservice.client import events as client
from roomservice.client.models import Member as ClientMember
from roomservice.client.models import Room as ClientRoom
from roomservice.model import Member, Room, iso
from roomservice.protocol import messages
from roomservice.protocol.frames import encode as frames_encode
from roomservice.protocol.frames import error as frames_error
from roomservice.protocol.rooms import RoomConfig
from roomservice.rooms import events
from roomservice.types import Role
from roomservice.types import RoomState as Phase

T0 = 1_795_230_367.739189
ALICE = Member("s-alice", "alice", Role.PLAYER, 0, T0)
BOB = Member("s-bob", "bob", Role.PLAYER, 1, T0 + 0.5)
CAROL = Member("s-carol", "carol", Role.SPECTATOR, 2, T0 + 1)
ROOM = Room(
    room_id="r-1",
    room_code="KNGUTL",
    name="Friday",
    game="tictactoe",
    has_password=False,
    private=False,
    config=RoomConfig(max_players=2, min_players=2, timeout_seconds=600, allow_spectators=True),
    state=Phase.WAITING,
    host_session_id="s-alice",
    creator_session_id="s-alice",
    created_at=T0,
    last_activity=T0 + 1,
    game_started_at=None,
    members=(ALICE, BOB, CAROL),
)


def wire(frame: messages.ServerFrame, seq: int | None = None) -> dict[str, Any]:
    """What a receiver parses out of the frame's text, numbered as the room's owner numbers it."""
    if seq is not None:
        assert isinstance(frame, messages.RoomFrame)
        frame.seq = seq
    text = messages.encode(frame)
    parsed: dict[str, Any] = msgspec.json.decode(text)
    assert next(iter(parsed)) == "type" and parsed["type"] == frame.type
    return parsed


def chat_line(seq: int, text: str = "hi bob") -> messages.Chat[str]:
    line = messages.Chat(sender="alice", session_id="s-alice", text=text, at=iso(T0 + 2))
    line.seq = seq
    return line


def test_room_event_frames_have_their_documented_shapes() -> None:
    assert wire(events.player_joined(BOB).frame, 750) == {
        "type": "player_joined",
        "seq": 750,
        "player": {
            "session_id": "s-bob",
            "username": "bob",
            "role": "player",
            "joined_at": iso(T0 + 0.5),
            "bot": False,
        },
    }
    assert wire(events.player_left(BOB, "kicked").frame, 751) == {
        "type": "player_left",
        "seq": 751,
        "session_id": "s-bob",
        "username": "bob",
        "role": "player",
        "reason": "kicked",
    }
    assert wire(events.host_changed(BOB).frame, 752) == {
        "type": "host_changed",
        "seq": 752,
        "host_session_id": "s-bob",
        "username": "bob",
    }
    assert wire(events.host_changed(None).frame, 753) == {
        "type": "host_changed",
        "seq": 753,
        "host_session_id": None,
        "username": None,
    }
    assert wire(events.room_updated(ROOM).frame, 754) == {
        "type": "room_updated",
        "seq": 754,
        "room": ROOM.to_dict(),
    }
    assert wire(events.kicked(BOB).frame, 755) == {"type": "kicked", "seq": 755, "session_id": "s-bob"}
    assert wire(events.room_closed("deleted").frame, 756) == {
        "type": "room_closed",
        "seq": 756,
        "reason": "deleted",
    }


def test_room_events_name_who_they_are_for_and_about() -> None:
    kicked = events.kicked(BOB)
    assert (kicked.to, kicked.subject, kicked.frame.type) == ("s-bob", "s-bob", "kicked")
    left = events.player_left(BOB, "left")
    assert (left.to, left.subject, left.frame.type) == (None, "s-bob", "player_left")
    assert events.closes_room([left, events.room_closed("empty")])
    assert not events.closes_room([left, events.host_changed(ALICE)])


def test_presence_chat_and_game_frames_have_their_documented_shapes() -> None:
    joined = messages.PlayerReconnected(session_id="s-bob", username="bob")
    assert wire(joined, 760) == {
        "type": "player_reconnected",
        "seq": 760,
        "session_id": "s-bob",
        "username": "bob",
    }
    gone = messages.PlayerDisconnected(session_id="s-bob", username="bob")
    assert wire(gone, 761) == {
        "type": "player_disconnected",
        "seq": 761,
        "session_id": "s-bob",
        "username": "bob",
    }
    assert wire(chat_line(762)) == {
        "type": "chat",
        "seq": 762,
        "from": "alice",
        "session_id": "s-alice",
        "text": "hi bob",
        "at": iso(T0 + 2),
    }
    state = messages.GameState(
        seq=763, game="tictactoe", game_id="g-1", game_no=1, version=0, state={"turn": "s-alice"}, result=None
    )
    assert wire(state) == {
        "type": "game_state",
        "seq": 763,
        "game": "tictactoe",
        "game_id": "g-1",
        "game_no": 1,
        "version": 0,
        "state": {"turn": "s-alice"},
        "result": None,
    }
    acked = messages.GameState(
        seq=764, game="tictactoe", game_id="g-1", game_no=1, version=1, state={}, result={"w": 1}, ref=0
    )
    assert wire(acked)["ref"] == 0 and wire(acked)["result"] == {"w": 1}
    event = messages.GameEvent(game="tictactoe", event="moved", data={"cell": 4})
    assert wire(event, 765) == {
        "type": "game_event",
        "seq": 765,
        "game": "tictactoe",
        "event": "moved",
        "data": {"cell": 4},
    }


def test_frames_outside_a_room_carry_no_seq_and_ref_only_when_given() -> None:
    assert wire(messages.Pong()) == {"type": "pong"}
    assert wire(messages.Pong(ref=3)) == {"type": "pong", "ref": 3}
    assert wire(messages.error("not_your_turn", "It is not your turn.")) == {
        "type": "error",
        "code": "not_your_turn",
        "message": "It is not your turn.",
    }
    assert wire(messages.error("rate_limited", "Slow down.", "c-17")) == {
        "type": "error",
        "code": "rate_limited",
        "message": "Slow down.",
        "ref": "c-17",
    }
    # The client-frame module still hands out the same encoder and error builder.
    assert frames_encode(frames_error("x", "y", 1)) == messages.encode(messages.error("x", "y", 1))


def test_room_state_carries_online_members_and_chat_frames() -> None:
    data = ROOM.to_dict()
    for member in (*data["players"], *data["spectators"]):
        member["online"] = member["session_id"] == "s-alice"
    frame = messages.RoomState(seq=770, room=data, players=data["players"], chat=[chat_line(768)])
    parsed = wire(frame)
    assert list(parsed) == ["type", "seq", "room", "players", "chat"]
    assert parsed["players"] == parsed["room"]["players"]
    assert [(m["username"], m["online"]) for m in parsed["players"]] == [("alice", True), ("bob", False)]
    assert parsed["room"]["spectators"][0]["online"] is False
    assert parsed["chat"] == [wire(chat_line(768))]
    empty = wire(messages.RoomState(seq=771, room=data, players=data["players"]))
    assert empty["chat"] == []


def _round_trip_cases() -> list[tuple[messages.ServerFrame, type[messages.ServerFrame]]]:
    data = ROOM.to_dict()
    for member in data["players"]:
        member["online"] = True
    cases: list[messages.ServerFrame] = [
        messages.RoomState(seq=1, room=data, players=data["players"], chat=[chat_line(0)]),
        events.player_joined(BOB).frame,
        events.player_left(BOB, "disconnected").frame,
        messages.PlayerDisconnected(seq=4, session_id="s-bob", username="bob"),
        messages.PlayerReconnected(seq=5, session_id="s-bob", username="bob"),
        events.host_changed(None).frame,
        events.room_updated(ROOM).frame,
        chat_line(8),
        events.kicked(CAROL).frame,
        events.room_closed("expired").frame,
        messages.GameState(
            seq=11, game="cabo", game_id="g-2", game_no=2, version=3, state={"a": [1]}, result=None, ref="r"
        ),
        messages.GameEvent(seq=12, game="cabo", event="drawn", data={"n": 1}),
        messages.MatchFound(ticket_id="t-1", room_code="QWXPZR"),
        messages.MatchCountdown(seq=13, room_code="QWXPZR", starts_at=1_800_000_010_000),
        messages.MatchTimeout(ticket_id="t-2"),
        messages.LobbySnapshot(game=None, rooms=[ROOM.to_dict()]),
        messages.LobbyRoomAdded(room=ROOM.to_dict()),
        messages.LobbyRoomUpdated(room=ROOM.to_dict()),
        messages.LobbyRoomRemoved(room=ROOM.to_dict()),
        messages.ProjectSnapshot(
            seq=14,
            project={"id": "p-1", "name": "Castle"},
            content={"size": [32, 32, 32], "cubes": [{"x": 1, "y": 2, "z": 3, "color": "#ff0000"}]},
            present=[{"username": "alice", "cursor": None}],
            changed=True,
            can_undo=False,
            can_redo=False,
        ),
        messages.CollaboratorJoined(seq=15, username="bob"),
        messages.CollaboratorLeft(seq=16, username="bob", reason="disconnected"),
        messages.EditApplied(
            seq=17,
            by="alice",
            op={"kind": "remove", "x": 1, "y": 2, "z": 3},
            placed=[],
            removed=[{"x": 1, "y": 2, "z": 3}],
            ref=4,
        ),
        messages.CursorMoved(username="bob", x=1, y=None, z=None),
        messages.MetaChanged(seq=18, by="alice", name="Tower", project={"id": "p-1", "name": "Tower"}),
        messages.Saved(seq=19, saved_by=None, saved_at="2027-01-15T08:00:00Z", version=3, auto=True),
        messages.ProjectClosed(project_id="p-1", reason="deleted"),
        messages.Pong(ref="p"),
        messages.error("internal", "Nothing changed.", 9),
    ]
    return [(frame, type(frame)) for frame in cases]


def test_the_cases_cover_every_server_frame() -> None:
    covered = {cls for _, cls in _round_trip_cases()}
    assert covered == set(messages.FRAMES) == set(client.TYPES.values())


@pytest.mark.parametrize(("frame", "cls"), _round_trip_cases(), ids=lambda v: getattr(v, "__name__", ""))
def test_the_client_decodes_what_the_server_encodes(frame: messages.ServerFrame, cls: type[Any]) -> None:
    if isinstance(frame, messages.RoomFrame) and frame.seq == 0:
        frame.seq = 99
    text = messages.encode(frame)
    event = client.decode(text)
    assert type(event) is cls and client.type_of(event) == frame.type
    assert client.seq_of(event) == (frame.seq if isinstance(frame, messages.RoomFrame) else None)
    # Nothing lost and nothing added: the typed event encodes back to the same JSON object (the
    # client's Member has ``online`` as None where the server says nothing of it).
    assert _without_unknown_online(msgspec.json.decode(messages.encode(event))) == msgspec.json.decode(text)


def _without_unknown_online(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_unknown_online(v) for k, v in value.items() if not (k == "online" and v is None)}
    if isinstance(value, list):
        return [_without_unknown_online(v) for v in value]
    return value


def test_nested_bodies_decode_into_the_client_models() -> None:
    data = ROOM.to_dict()
    for member in data["players"]:
        member["online"] = True
    state = client.decode(
        messages.encode(messages.RoomState(seq=1, room=data, players=data["players"], chat=[chat_line(0)]))
    )
    assert isinstance(state, messages.RoomState)
    assert isinstance(state.room, ClientRoom) and state.room.config.allow_spectators
    assert all(isinstance(m, ClientMember) and m.online for m in state.players)
    (line,) = state.chat
    assert isinstance(line, messages.Chat) and line.at == datetime.fromtimestamp(T0 + 2, UTC)
    joined = client.decode(messages.encode(events.player_joined(BOB).frame))
    assert isinstance(joined, messages.PlayerJoined) and isinstance(joined.player, ClientMember)
    assert joined.player.joined_at == datetime.fromtimestamp(T0 + 0.5, UTC)


def test_the_client_names_are_the_protocol_classes() -> None:
    from roomservice import client as package

    for cls in messages.FRAMES:
        assert getattr(package, cls.__name__) is cls
