"""The Python client's live lobby: typed events, a game filter, and a new snapshot after a reconnect."""

from __future__ import annotations

from roomservice.client import LobbyRoomAdded, LobbyRoomRemoved, LobbyRoomUpdated, LobbySnapshot
from tests.client.conftest import Clients, Gate
from tests.client.test_resume import cut


async def test_the_lobby_follows_rooms_and_comes_back_after_a_reconnect(clients: Clients) -> None:
    watcher, alice, bob = await clients.new("watcher"), await clients.new("alice"), await clients.new("bob")
    gate = Gate(opened=True)
    socket = await watcher.connect(sleep=gate)
    await socket.subscribe_lobby("cabo")
    first = await socket.wait_for(LobbySnapshot, timeout=1)
    assert first.game == "cabo" and first.rooms == []

    await alice.create_room("elsewhere", "tictactoe")
    room = await bob.create_room("r", "cabo")
    added = await socket.wait_for(LobbyRoomAdded, timeout=1)
    assert added.room.room_code == room.room_code and added.room.game == "cabo"
    carol = await clients.new("carol")
    await carol.join(room.room_code)
    updated = await socket.wait_for(LobbyRoomUpdated, timeout=1)
    assert [p.username for p in updated.room.players] == ["bob", "carol"]

    await cut(socket)
    again = await socket.wait_for(LobbySnapshot, timeout=5)
    assert [r.room_code for r in again.rooms] == [room.room_code] and socket.reconnects == 1

    await bob.delete(room.room_code)
    removed = await socket.wait_for(LobbyRoomRemoved, timeout=1)
    assert removed.room.room_code == room.room_code
