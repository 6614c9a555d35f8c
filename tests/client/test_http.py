"""The HTTP half of the client against a real server: sessions, rooms, the lobby and coded errors."""

from __future__ import annotations

import pytest

from roomservice.client import ApiError
from tests.client.conftest import Clients


async def test_session_and_room_round_trip(clients: Clients) -> None:
    alice = await clients.new()
    created = await alice.create_session("alice")
    assert created.username == "alice" and created.token and alice.token == created.token
    assert (await alice.session()).room_code is None
    assert (await alice.rename("alice2")).username == "alice2"

    games = {g.id: g for g in await alice.games()}
    assert games["tictactoe"].max_players == 2

    room = await alice.create_room("Friday night", "cabo", config={"max_players": 3})
    assert room.host_session_id == created.session_id and room.config.max_players == 3
    assert [p.username for p in room.players] == ["alice2"]
    assert (await alice.session()).room_code == room.room_code
    assert (await alice.room(room.room_code.lower())).name == "Friday night"
    assert [r.room_code for r in await alice.my_rooms()] == [room.room_code]

    page = await alice.lobby(game="cabo", free_seats=True, sort="players", order="desc", limit=5)
    assert [r.room_code for r in page.rooms] == [room.room_code] and page.next_cursor is None
    assert (await alice.lobby(game="tictactoe")).rooms == []
    assert (await alice.lobby(has_password=True)).rooms == []

    configured = await alice.configure(room.room_code, allow_spectators=True, max_players=4)
    assert configured.config.allow_spectators and configured.capacity == 4

    bob = await clients.new("bob")
    joined = await bob.join(room.room_code)
    assert [p.username for p in joined.players] == ["alice2", "bob"]
    assert bob.session_id is not None
    kicked = await alice.kick(room.room_code, bob.session_id)
    assert [p.username for p in kicked.players] == ["alice2"]
    watching = await bob.join(room.room_code, spectator=True)
    assert [s.username for s in watching.spectators] == ["bob"]
    after = await bob.leave(room.room_code)
    assert after is not None and after.spectators == []

    await alice.delete(room.room_code)
    with pytest.raises(ApiError) as gone:
        await alice.room(room.room_code)
    assert (gone.value.status, gone.value.code) == (404, "room_not_found")


async def test_leaving_the_last_seat_deletes_the_room(clients: Clients) -> None:
    alice = await clients.new("alice")
    room = await alice.create_room("r", "tictactoe")
    assert await alice.leave(room.room_code) is None


async def test_a_password_room(clients: Clients) -> None:
    alice, bob = await clients.new("alice"), await clients.new("bob")
    room = await alice.create_room("secret", "tictactoe", password="pw", private=True)
    assert room.has_password and room.private
    with pytest.raises(ApiError) as wrong:
        await bob.join(room.room_code, password="nope")
    assert (wrong.value.status, wrong.value.code) == (403, "wrong_password")
    assert len((await bob.join(room.room_code, password="pw")).players) == 2


async def test_errors_carry_status_code_message_and_extra_fields(clients: Clients) -> None:
    nobody = await clients.new()
    with pytest.raises(ApiError) as bad_name:
        await nobody.create_session("no/slashes")
    assert (bad_name.value.status, bad_name.value.code) == (422, "invalid_username")
    assert "Usernames" in bad_name.value.message
    with pytest.raises(ApiError) as anonymous:
        await nobody.my_rooms()
    assert anonymous.value.status == 401

    alice = await clients.new("alice")
    room = await alice.create_room("one", "tictactoe")
    with pytest.raises(ApiError) as twice:
        await alice.create_room("two", "tictactoe")
    assert twice.value.code == "already_in_room"
    assert twice.value.extra["room"]["room_code"] == room.room_code
    with pytest.raises(ApiError) as unknown:
        await alice.configure(room.room_code, colour="red")
    assert (unknown.value.status, unknown.value.code) == (422, "invalid_config")  # as in a create
    assert unknown.value.extra["fields"][0]["field"] == "colour"
    with pytest.raises(ApiError) as bad_game:
        await alice.leave(room.room_code)
        await alice.create_room("x", "no-such-game")
    assert (bad_game.value.status, bad_game.value.code) == (404, "game_not_found")
