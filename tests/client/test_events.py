"""Every server frame decodes to its typed event: live from a real server for the room frames, and
from the documented wire shape for the game frames and for a frame type this client does not know."""

from __future__ import annotations

from datetime import datetime

from roomservice.client import (
    Chat,
    Client,
    Error,
    GameEvent,
    GameState,
    HostChanged,
    Kicked,
    MatchCountdown,
    MatchFound,
    MatchTimeout,
    Member,
    PlayerDisconnected,
    PlayerJoined,
    PlayerLeft,
    PlayerReconnected,
    Pong,
    Room,
    RoomClosed,
    RoomState,
    RoomUpdated,
    Unknown,
)
from roomservice.client.events import TYPES, decode, seq_of, type_of
from tests.client.conftest import Clients


async def test_room_frames_decode_to_typed_events(clients: Clients) -> None:
    alice, bob, carol = await clients.new("alice"), await clients.new("bob"), await clients.new("carol")
    room = await alice.create_room("typed", "cabo", config={"max_players": 3})
    a = await alice.connect()
    state = await a.wait_for(RoomState)
    assert isinstance(state.room, Room) and state.room.state == "WAITING" and state.chat == []
    assert isinstance(state.room.created_at, datetime) and state.room.config.max_players == 3
    (me,) = state.players
    assert isinstance(me, Member) and (me.username, me.role, me.online) == ("alice", "player", True)

    await bob.join(room.room_code)
    joined = await a.wait_for(PlayerJoined)
    assert (joined.player.username, joined.player.session_id) == ("bob", bob.session_id)
    b = await bob.connect()
    assert (await a.wait_for(PlayerReconnected)).session_id == bob.session_id

    await b.chat("typed chat")
    line = await a.wait_for(Chat)
    assert (line.sender, line.text) == ("bob", "typed chat") and isinstance(line.at, datetime)

    updated_room = await alice.configure(room.room_code, allow_spectators=True)
    updated = await a.wait_for(RoomUpdated)
    assert updated.room.config.allow_spectators and updated.room.room_code == updated_room.room_code

    await carol.join(room.room_code)
    c = await carol.connect()
    again = await c.wait_for(RoomState)
    assert [m.text for m in again.chat] == ["typed chat"] and isinstance(again.chat[0], Chat)
    assert carol.session_id is not None
    await alice.kick(room.room_code, carol.session_id)
    assert (await c.wait_for(Kicked)).session_id == carol.session_id
    kicked = await a.wait_for(PlayerLeft)
    assert (kicked.username, kicked.role, kicked.reason) == ("carol", "player", "kicked")
    assert c.room_code is None  # nothing to resume any more

    await c.send({"type": "ping", "ref": "raw"})  # a pong nobody waits for is an event
    assert (await c.wait_for(Pong)).ref == "raw"
    await c.chat("anyone?")
    refused = await c.wait_for(Error)
    assert refused.code == "not_in_room" and refused.message

    await b.close()
    gone = await a.wait_for(PlayerDisconnected)
    assert (gone.session_id, gone.username) == (bob.session_id, "bob")
    b = await bob.connect()
    await b.wait_for(RoomState)

    await alice.leave(room.room_code)
    left = await b.wait_for(PlayerLeft)
    assert (left.username, left.reason) == ("alice", "left")
    host = await b.wait_for(HostChanged)
    assert (host.host_session_id, host.username) == (bob.session_id, "bob")

    await bob.delete(room.room_code)
    assert (await b.wait_for(RoomClosed)).reason == "deleted"
    assert b.room_code is None


def test_game_state_and_game_event_decode() -> None:
    state = decode(
        b'{"type":"game_state","seq":41,"game":"tictactoe","game_no":2,"version":5,'
        b'"state":{"board":["X",null,"O"],"turn":"p1"},"result":null}'
    )
    assert isinstance(state, GameState)
    assert (state.seq, state.game, state.game_no, state.version) == (41, "tictactoe", 2, 5)
    assert state.state == {"board": ["X", None, "O"], "turn": "p1"} and state.result is None
    over = decode(
        b'{"type":"game_state","seq":42,"game":"tictactoe","game_no":2,"version":6,'
        b'"state":{},"result":{"winner":"p1"}}'
    )
    assert isinstance(over, GameState) and over.result == {"winner": "p1"}
    event = decode(b'{"type":"game_event","seq":43,"game":"cabo","event":"card_drawn","data":{"n":1}}')
    assert isinstance(event, GameEvent) and (event.event, event.data) == ("card_drawn", {"n": 1})
    assert type_of(event) == "game_event" and seq_of(event) == 43


def test_unknown_frames_keep_their_fields() -> None:
    new = decode('{"type":"vote_started","seq":9,"question":"again?"}')
    assert new == Unknown(
        type="vote_started", seq=9, data={"type": "vote_started", "seq": 9, "question": "again?"}
    )
    assert type_of(new) == "vote_started" and seq_of(new) == 9
    # A known type in a shape this client cannot read is not dropped either.
    odd = decode('{"type":"chat","seq":10,"text":5}')
    assert isinstance(odd, Unknown) and odd.type == "chat" and odd.data["text"] == 5
    assert decode("[1, 2]") == Unknown(type="", data={"value": [1, 2]})


def test_frames_outside_a_room_have_no_seq() -> None:
    pong, error = decode('{"type":"pong","ref":3}'), decode('{"type":"error","code":"x","message":"m"}')
    assert isinstance(pong, Pong) and pong.ref == 3 and seq_of(pong) is None
    assert isinstance(error, Error) and error.ref is None and seq_of(error) is None
    assert set(TYPES) == {
        "room_state",
        "player_joined",
        "player_left",
        "player_disconnected",
        "player_reconnected",
        "host_changed",
        "room_updated",
        "chat",
        "kicked",
        "room_closed",
        "game_state",
        "game_event",
        "match_found",
        "match_countdown",
        "match_timeout",
        "lobby_snapshot",
        "lobby_room_added",
        "lobby_room_updated",
        "lobby_room_removed",
        "project_snapshot",
        "collaborator_joined",
        "collaborator_left",
        "edit",
        "cursor",
        "meta_change",
        "saved",
        "project_closed",
        "pong",
        "error",
    }


async def test_a_client_as_a_context_manager_closes_its_sockets(clients: Clients) -> None:
    async with Client(clients.server.http) as client:
        await client.create_session("dora")
        socket = await client.connect()
        assert socket.connected
    assert socket.stopped is not None and socket.stopped.code == 1000


def test_matchmaking_frames_decode() -> None:
    found = decode('{"type":"match_found","ticket_id":"t1","room_code":"QWXPZR"}')
    assert isinstance(found, MatchFound) and found.room_code == "QWXPZR" and seq_of(found) is None
    countdown = decode('{"type":"match_countdown","seq":7,"room_code":"QWXPZR","starts_at":1795230377801}')
    assert (
        isinstance(countdown, MatchCountdown)
        and countdown.starts_at == 1795230377801
        and seq_of(countdown) == 7
    )
    timeout = decode('{"type":"match_timeout","ticket_id":"t1"}')
    assert isinstance(timeout, MatchTimeout) and timeout.ticket_id == "t1" and seq_of(timeout) is None
