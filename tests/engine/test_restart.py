"""Kill the server with SIGKILL in the middle of a Cabo round, start it again: the game is exactly where
it was, every accepted action is still there, and the players resume and play on."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from roomservice.client import Chat, Client, GameState, PlayerLeft, RoomState, Socket
from roomservice.store import chat
from roomservice.store.database import Database

ROOMSERVICE = str(Path(sys.executable).with_name("roomservice"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


class Process:
    """A real ``roomservice serve`` in its own process."""

    def __init__(self, database_url: str, data_dir: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "ROOMSERVICE_DATABASE_URL": database_url,
            "ROOMSERVICE_DATA_DIR": str(data_dir),
            "ROOMSERVICE_SECRET_KEY": "restart-test",
        }
        self.log = data_dir / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def _spawn(self) -> subprocess.Popen[bytes]:
        cmd = [ROOMSERVICE, "serve", "--port", str(self.port), "--dev"]
        with self.log.open("ab") as log:
            return subprocess.Popen(cmd, env=self.env, stdout=log, stderr=log)

    async def start(self) -> None:
        self.proc = self._spawn()
        async with httpx.AsyncClient() as http:
            for _ in range(200):
                if self.proc.poll() is not None:
                    raise RuntimeError(self.log.read_text())
                try:
                    if (await http.get(f"{self.url}/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
        raise RuntimeError("the server did not come up")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@pytest.fixture
async def process(database_url: str, tmp_path: Path) -> AsyncIterator[Process]:
    proc = Process(database_url, tmp_path)
    await proc.start()
    yield proc
    proc.stop()


async def _latest(sock: Socket, version: int | None = None) -> GameState:
    def fits(event: Any) -> bool:
        return version is None or event.version >= version

    return await sock.wait_for(GameState, fits, timeout=10)


@pytest.mark.slow
async def test_sigkill_mid_round_loses_nothing(process: Process) -> None:
    clients = [Client(process.url), Client(process.url)]
    alice, bob = clients
    a_session = await alice.create_session("alice")
    await bob.create_session("bob")
    room = await alice.create_room("kill", "cabo")
    await bob.join(room.room_code)
    a_sock, b_sock = await alice.connect(), await bob.connect()
    await alice.start(room.room_code, options={"peek_seconds": 0.2, "deck": _deck()})
    state = await _latest(a_sock)
    assert state.state["phase"] == "setup"
    state = await a_sock.wait_for(GameState, lambda e: e.state["phase"] == "turn", timeout=10)
    first = state.state["turn"]
    mover = a_sock if first == a_session.session_id else b_sock
    await mover.action({"move": "draw"})
    drawn = await mover.wait_for(GameState, lambda e: e.state["phase"] == "drawn", timeout=10)
    await mover.action({"move": "exchange", "cards": [0]})
    before_kill = await mover.wait_for(GameState, lambda e: e.version > drawn.version, timeout=10)
    assert before_kill.state["turn"] != first

    process.kill()
    await process.start()

    # Both sockets come back on their own and resume; the game is exactly as it was.
    after = await mover.wait_for(GameState, lambda e: e.game_no == 1 and e.seq > before_kill.seq, timeout=20)
    assert after.version == before_kill.version
    assert after.state == before_kill.state
    other = b_sock if mover is a_sock else a_sock
    theirs = await other.wait_for(GameState, lambda e: e.seq > before_kill.seq, timeout=20)
    assert theirs.state["turn"] == before_kill.state["turn"]
    await other.action({"move": "draw"})
    moved = await other.wait_for(GameState, lambda e: e.version == after.version + 1, timeout=10)
    assert moved.state["phase"] == "drawn" and moved.state["drawn"] is not None

    for sock in (a_sock, b_sock):
        await sock.close()
    for client in clients:
        await client.aclose()


def _deck() -> list[int]:
    """A full Cabo deck in a fixed order."""
    return [0, 0, 13, 13] + [rank for rank in range(1, 13) for _ in range(4)]


@pytest.mark.slow
async def test_chat_history_survives_a_restart(process: Process, database_url: str) -> None:
    async with Client(process.url) as alice:
        await alice.create_session("alice")
        room = await alice.create_room("talk", "tictactoe")
        sock = await alice.connect()
        for n in range(3):
            await sock.chat(f"line {n}")
            await sock.wait_for(Chat, lambda e, n=n: e.text == f"line {n}")
        db = Database(database_url)
        try:
            for _ in range(100):  # lines are saved just behind the fan-out
                async with db.read() as conn:
                    if len(await chat.load(conn, room.room_id)) == 3:
                        break
                await asyncio.sleep(0.02)
        finally:
            await db.close()
        await sock.close()

        process.kill()
        await process.start()
        again = await alice.connect()
        state = await again.wait_for(RoomState)
        assert [line.text for line in state.chat] == ["line 0", "line 1", "line 2"]
        await again.close()


@pytest.mark.slow
async def test_a_seat_whose_player_never_returns_after_a_restart_is_given_up(process: Process) -> None:
    async with Client(process.url) as alice, Client(process.url) as bob:
        await alice.create_session("alice")
        b_session = await bob.create_session("bob")
        room = await alice.create_room("r", "tictactoe", config={"reconnect_grace_seconds": 1})
        await bob.join(room.room_code)
        # Bob is seated without a socket; the server dies and comes back.
        process.kill()
        await process.start()
        sock = await alice.connect()
        state = await sock.wait_for(RoomState)
        assert b_session.session_id in [p.session_id for p in state.players]
        left = await sock.wait_for(PlayerLeft, timeout=10)
        assert (left.session_id, left.reason) == (b_session.session_id, "disconnected")
        after = await alice.room(room.room_code)
        assert [p.session_id for p in after.players] == [state.room.host_session_id]
        await sock.close()


@pytest.mark.slow
async def test_lost_seats_and_an_ended_game_replay_identically_after_sigkill(process: Process) -> None:
    """A leave with its reason is a logged step like any action: after a SIGKILL, a Cabo game that
    went on without a kicked player, a tic-tac-toe game won by forfeit and a game the host ended all
    come back exactly as they were."""
    clients = [Client(process.url) for _ in range(7)]
    ann, bob, cy, xena, olga, hal, gus = clients
    ids = [(await c.create_session(name)).session_id for c, name in zip(clients, "abcxohg", strict=True)]

    # Cabo with three: cy is kicked during the first turn, then the round goes on.
    cabo = await ann.create_room("cabo", "cabo")
    for c in (bob, cy):
        await c.join(cabo.room_code)
    socks = [await c.connect() for c in (ann, bob, cy)]
    await ann.start(cabo.room_code, options={"peek_seconds": 60, "deck": _deck()})
    for sock in socks:
        await sock.action({"move": "peek_initial", "cards": [0, 1]})
    await socks[0].wait_for(GameState, lambda e: e.state["phase"] == "turn", timeout=10)
    await ann.kick(cabo.room_code, ids[2])
    await socks[0].action({"move": "draw"})
    await socks[0].action({"move": "discard"})
    cabo_before = await socks[1].wait_for(GameState, lambda e: e.state["turn"] == ids[1], timeout=10)
    assert cabo_before.state["gone"] == {ids[2]: "kicked"}

    # Tic-tac-toe won by forfeit.
    ttt = await xena.create_room("ttt", "tictactoe")
    await olga.join(ttt.room_code)
    x_sock = await xena.connect()
    await xena.start(ttt.room_code)
    await olga.leave(ttt.room_code)
    ttt_before = await x_sock.wait_for(GameState, lambda e: e.result is not None, timeout=10)
    assert ttt_before.result["forfeit"] == {"player": ids[4], "reason": "left"}

    # A game the host ended.
    ended = await hal.create_room("end", "tictactoe")
    await gus.join(ended.room_code)
    h_sock = await hal.connect()
    await hal.start(ended.room_code)
    async with httpx.AsyncClient() as http:
        resp = await http.post(
            f"{process.url}/api/rooms/{ended.room_code}/end", headers={"Authorization": f"Bearer {hal.token}"}
        )
    assert resp.status_code == 200
    end_before = await h_sock.wait_for(GameState, lambda e: e.result is not None, timeout=10)

    process.kill()
    await process.start()

    cabo_after = await socks[1].wait_for(GameState, lambda e: e.seq > cabo_before.seq, timeout=20)
    assert (cabo_after.version, cabo_after.state) == (cabo_before.version, cabo_before.state)
    await socks[1].action({"move": "draw"})
    await socks[1].wait_for(GameState, lambda e: e.version == cabo_after.version + 1, timeout=10)
    ttt_after = await x_sock.wait_for(GameState, lambda e: e.seq > ttt_before.seq, timeout=20)
    assert (ttt_after.version, ttt_after.state, ttt_after.result) == (
        ttt_before.version,
        ttt_before.state,
        ttt_before.result,
    )
    end_after = await h_sock.wait_for(GameState, lambda e: e.seq > end_before.seq, timeout=20)
    assert end_after.result == {"winners": [], "abandoned": True} == end_before.result
    assert (await hal.room(ended.room_code)).state == "FINISHED"
    assert (await xena.room(ttt.room_code)).state == "FINISHED"

    for client in clients:
        await client.aclose()


def _me(state: GameState, session_id: str) -> list[Any]:
    return next(p for p in state.state["p"] if p[0] == session_id)


@pytest.mark.slow
async def test_sigkill_mid_arena_match_resumes_from_its_last_logged_input(process: Process) -> None:
    """A running arena match comes back from its last snapshot and the inputs logged after it: what a
    player's logged inputs did is all there, the match ticks on from there, and a player who does not
    come back loses the seat after a fresh grace."""
    clients = [Client(process.url) for _ in range(3)]
    ann, bob, cat = clients
    ids = [
        (await c.create_session(name)).session_id
        for c, name in zip(clients, ("ann", "bob", "cat"), strict=True)
    ]
    # The restarted server gives every seat a fresh grace: long enough for ann's and bob's sockets,
    # which retry at most half a second apart, to be back in it however slowly the server starts.
    room = await ann.create_room("arena", "arena", config={"reconnect_grace_seconds": 6})
    for c in (bob, cat):
        await c.join(room.room_code)
    socks = [await c.connect(max_reconnect_delay=0.5) for c in clients]
    a_sock, b_sock, c_sock = socks
    await ann.start(room.room_code, options={"time_limit": 120})
    seen = await a_sock.wait_for(GameState, timeout=10)

    def move(seq: int, tick: int, x: float) -> dict[str, Any]:
        return {"seq": seq, "tick": tick, "move": [x, 0.0], "aim": 0.0, "fire": False}

    # Ann walks right for a while, then stops: both inputs are logged with the tick they came at.
    await a_sock.action(move(1, seen.state["t"], 1.0))
    walking = await a_sock.wait_for(GameState, lambda e: e.state["ack"] == 1, timeout=10)
    await a_sock.wait_for(GameState, lambda e: e.state["t"] >= walking.state["t"] + 15, timeout=10)
    await a_sock.action(move(2, walking.state["t"], 0.0))
    stopped = await a_sock.wait_for(GameState, lambda e: e.state["ack"] == 2, timeout=10)
    x_stop = _me(stopped, ids[0])[1]
    assert x_stop > 2.5  # she moved
    await c_sock.close()  # cat is gone and stays gone
    before_kill = await a_sock.wait_for(
        GameState, lambda e: e.state["t"] >= stopped.state["t"] + 30, timeout=10
    )

    process.kill()
    await process.start()

    after = await a_sock.wait_for(GameState, lambda e: e.seq > before_kill.seq, timeout=20)
    # Every logged step is back (a view's version counts steps and ticks), ann's inputs with them; only
    # ticks since the last logged input or snapshot can be lost, and the match ticks on from there.
    seen = (after.version, after.state["t"], after.state["ack"], _me(after, ids[0]))
    assert after.version - after.state["t"] == before_kill.version - before_kill.state["t"], seen
    assert after.state["t"] >= stopped.state["t"] - 1, seen
    assert _me(after, ids[0])[1] == x_stop and after.state["ack"] == 2
    assert after.game_no == 1 and after.result is None

    # The match ticks on, and takes new inputs.
    await a_sock.action(move(3, after.state["t"], -1.0))
    moved = await a_sock.wait_for(GameState, lambda e: e.state["ack"] == 3, timeout=10)
    later = await a_sock.wait_for(GameState, lambda e: e.state["t"] >= moved.state["t"] + 10, timeout=10)
    assert _me(later, ids[0])[1] < x_stop

    # Cat never came back: after the grace the restarted server started, cat is out of the match.
    gone = await b_sock.wait_for(GameState, lambda e: _me(e, ids[2])[9] == 2, timeout=20)
    assert _me(gone, ids[0])[9] == 0 and gone.result is None

    for sock in (a_sock, b_sock):
        await sock.close()
    for client in clients:
        await client.aclose()
