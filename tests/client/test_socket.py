"""The client socket against a real server: presence and chat between two clients, the codes that
stop it for good, ping, and the end of the event stream."""

from __future__ import annotations

import pytest

from roomservice.client import (
    ApiError,
    Chat,
    Client,
    PlayerJoined,
    PlayerReconnected,
    RoomState,
    Socket,
    SocketClosed,
    SocketState,
)
from roomservice.client import Error as ErrorEvent
from tests.client.conftest import Clients, Gate


async def test_two_clients_see_each_other_join_and_chat(clients: Clients) -> None:
    alice, bob = await clients.new("alice"), await clients.new("bob")
    room = await alice.create_room("r", "cabo")
    a = await alice.connect()
    state = await a.wait_for(RoomState)
    assert state.room.room_code == room.room_code and a.room_code == room.room_code
    assert [(p.username, p.online) for p in state.players] == [("alice", True)]

    await bob.join(room.room_code)
    joined = await a.wait_for(PlayerJoined)
    assert joined.player.username == "bob" and joined.seq > state.seq
    b = await bob.connect()
    seen_by_bob = await b.wait_for(RoomState)
    assert [p.username for p in seen_by_bob.players] == ["alice", "bob"]
    assert (await a.wait_for(PlayerReconnected)).username == "bob"  # his socket came online

    await b.chat("hi alice")
    line = await a.wait_for(Chat)
    assert (line.sender, line.text, line.session_id) == ("bob", "hi alice", bob.session_id)
    await a.chat("hi bob")
    assert (await b.wait_for(Chat, lambda e: e.sender == "alice")).seq > line.seq
    await b.chat("bye")
    bye = await a.wait_for("chat", lambda e: isinstance(e, Chat) and e.sender == "bob")  # by frame type
    assert isinstance(bye, Chat) and bye.text == "bye"
    assert a.connected and b.state is SocketState.CONNECTED and a.stopped is None


async def test_ping_answers_with_a_round_trip_time(clients: Clients) -> None:
    alice = await clients.new("alice")
    socket = await alice.connect()
    assert 0 <= await socket.ping() < 5
    with pytest.raises(TimeoutError):
        await socket.wait_for(Chat, timeout=0.05)  # pongs of ping() are not in the stream


async def test_a_refused_frame_comes_back_as_an_error_with_its_ref(clients: Clients) -> None:
    alice = await clients.new("alice")
    socket = await alice.connect()
    await socket.chat("nobody to hear me", ref="c1")
    error = await socket.wait_for(ErrorEvent)
    assert (error.code, error.ref) == ("not_in_room", "c1")
    await socket.action({"move": 1}, ref=7)
    assert (await socket.wait_for(ErrorEvent)).ref == 7


async def test_a_replaced_socket_stops_and_says_why_without_fighting_back(clients: Clients) -> None:
    first = await clients.new("alice")
    room = await first.create_room("r", "cabo")
    gate = Gate()
    old = await first.connect(sleep=gate)
    await old.wait_for(RoomState)
    second = Client(clients.server.http, first.token)
    try:
        new = await second.connect()
        await new.wait_for(RoomState)
        with pytest.raises(SocketClosed) as stop:
            await old.wait_for(Chat)
        assert (stop.value.code, stop.value.error) == (4002, "session_replaced")
        assert old.state is SocketState.CLOSED and old.stopped is stop.value
        assert [e async for e in old] == []  # the stream has ended
        with pytest.raises(SocketClosed):
            await old.chat("still there?")
        # Had the old socket reconnected, it would have replaced the new one in turn: it never even
        # waited to try.
        assert gate.asked == [] and not gate.waiting.is_set()
        assert old.reconnects == 0
        await new.chat("still here")
        line = await new.wait_for(Chat)
        assert line.text == "still here" and new.connected
        assert (await second.session()).room_code == room.room_code
    finally:
        await second.aclose()


async def test_a_bad_token_stops_with_4001(clients: Clients) -> None:
    forged = await clients.new(token="not-a-token")
    with pytest.raises(ApiError) as refused:
        await forged.connect()  # it looks the session up first
    assert refused.value.code == "invalid_token"
    socket = Socket(clients.server.ws, "not-a-token")
    try:
        with pytest.raises(SocketClosed) as turned_away:
            await socket.start()
        assert (turned_away.value.code, turned_away.value.error) == (4001, "invalid_token")
        error = await socket.next(timeout=5)  # the server's reason is still in the stream
        assert isinstance(error, ErrorEvent) and error.code == "invalid_token"
        with pytest.raises(SocketClosed) as stop:
            await socket.next(timeout=5)
        assert stop.value is socket.stopped and socket.reconnects == 0
    finally:
        await socket.close()


async def test_a_frame_too_big_stops_with_1009(clients: Clients) -> None:
    alice = await clients.new("alice")
    socket = await alice.connect()
    await socket.send({"type": "chat", "text": "x" * 70_000})
    with pytest.raises(SocketClosed) as stop:
        await socket.wait_for(Chat, timeout=5)
    assert stop.value.code == 1009 and socket.reconnects == 0


async def test_closing_ends_the_stream_after_what_was_received(clients: Clients) -> None:
    alice = await clients.new("alice")
    await alice.create_room("r", "cabo")
    socket = await alice.connect()
    await socket.chat("last words")
    await socket.wait_for(RoomState)
    await socket.wait_for(Chat)
    await socket.close()
    assert socket.state is SocketState.CLOSED and socket.stopped is not None
    assert socket.stopped.code == 1000
    assert [e async for e in socket] == []
    await socket.close()  # closing twice is fine
