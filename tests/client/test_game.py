"""A tic-tac-toe game through the client: start, typed game frames, a refused move, a cut connection
mid-game that loses no move, and bad options as an ApiError."""

from __future__ import annotations

import pytest

from roomservice.client import ApiError, Error, GameEvent, GameState, RoomState, RoomUpdated
from tests.client.conftest import Clients
from tests.client.test_resume import cut


async def test_a_game_with_a_cut_in_the_middle(clients: Clients) -> None:
    alice, bob = await clients.new("alice"), await clients.new("bob")
    room = await alice.create_room("t", "tictactoe")
    await bob.join(room.room_code)
    a, b = await alice.connect(), await bob.connect()
    await a.wait_for(RoomState)
    await b.wait_for(RoomState)

    with pytest.raises(ApiError) as bad:
        await alice.start(room.room_code, options={"board": 4})
    assert (bad.value.status, bad.value.code) == (422, "invalid_options")
    assert (await alice.start(room.room_code)).state == "IN_GAME"
    first = await b.wait_for(GameState)
    assert (first.game, first.game_no, first.version, first.result) == ("tictactoe", 1, 0, None)
    assert first.state["turn"] == alice.session_id

    await b.action({"cell": 0}, ref="early")
    refused = await b.wait_for(Error)
    assert (refused.code, refused.ref) == ("not_your_turn", "early")

    await a.action({"cell": 0})
    await b.action({"cell": 3})
    await b.wait_for(GameState, lambda s: s.version == 2)
    await cut(b)
    await a.action({"cell": 1})  # X moves while O's connection is down
    await a.wait_for(GameState, lambda s: s.version == 3)
    await b.action({"cell": 4})  # goes out once O is back and has resumed
    moves: list[int] = []
    while True:
        event = await b.next(timeout=5)
        if isinstance(event, GameEvent) and event.event == "moved":
            moves.append(event.data["cell"])
        if isinstance(event, GameState) and event.version == 4:
            break
    assert moves == [1, 4] and b.reconnects == 1  # each move once, in order

    await a.action({"cell": 3})
    assert (await a.wait_for(Error)).code == "cell_taken"
    await a.action({"cell": 2})  # the top row
    over = await b.wait_for(GameState, lambda s: s.result is not None)
    assert over.result == {"winners": [alice.session_id], "draw": False}
    await b.wait_for(RoomUpdated, lambda u: u.room.state == "FINISHED")

    assert (await alice.start(room.room_code)).state == "IN_GAME"  # play again
    again = await b.wait_for(GameState)
    assert (again.game_no, again.version) == (2, 0)


async def test_the_host_ends_a_game_through_the_client(clients: Clients) -> None:
    alice, bob = await clients.new("alice"), await clients.new("bob")
    room = await alice.create_room("t", "tictactoe")
    await bob.join(room.room_code)
    b = await bob.connect()
    await alice.start(room.room_code)
    with pytest.raises(ApiError) as refused:
        await bob.end(room.room_code)
    assert (refused.value.status, refused.value.code) == (403, "not_host")
    assert (await alice.end(room.room_code)).state == "FINISHED"
    over = await b.wait_for(GameState, lambda s: s.result is not None)
    assert over.result is not None and over.result["abandoned"] is True
