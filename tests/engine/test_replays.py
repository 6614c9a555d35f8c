"""Replays: a finished game rebuilt from its log by the pure rules, shown as a spectator saw it.

Every built-in game is played to its end by the bots through the pure machine, stored as the engine
stores it, and fetched from ``/api/replays/{game_id}``: the replay must end at the stored result and
every step's view must be the spectator view of the state at that step. A tic-tac-toe game is also
played over a real server, for ``game_id`` in ``game_state``, ``last_game_id`` in the room and who may
watch.
"""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Callable
from typing import Any

import pytest

from roomservice.bots import arena as arena_bot
from roomservice.bots import cabo as cabo_bot
from roomservice.bots import tictactoe as tictactoe_bot
from roomservice.engine.machine import ACTION, TIMEOUT, GameMachine, Step
from roomservice.engine.replay import MAX_TICK_VIEWS, ReplayMismatch, rebuild, tick_stride
from roomservice.games.arena import Arena
from roomservice.games.base import Game, InvalidAction
from roomservice.games.cabo import Cabo
from roomservice.games.tictactoe import TicTacToe
from roomservice.services import Services
from roomservice.store import games as repo
from tests.conftest import Api, Server, User
from tests.realtime.wsclient import Sock

Strategy = Callable[[dict[str, Any], str, random.Random], dict[str, Any] | None]
T0 = 1_800_000_000.0


def _play(
    game: Game, players: list[str], strategy: Strategy, options: dict[str, Any]
) -> tuple[GameMachine, list[Step], list[Any]]:
    """Bots play the game to its end through the pure machine: the log, and the spectator view after
    the deal and after every logged step (and the states, to compare the players' views)."""
    machine, _ = GameMachine.setup(game, seed=7, players=players, options=options, dev=False, now=T0)
    rngs = {p: random.Random(i) for i, p in enumerate(players)}
    steps: list[Step] = []
    states: list[Any] = [machine.state]
    while machine.result() is None:
        moved = False
        for p in players:
            move = strategy(machine.view(p), p, rngs[p])
            if move is None:
                continue
            step = Step(ACTION, p, move, machine.now + (0 if game.realtime else 0.5), machine.ticks)
            try:
                machine.apply(step)
            except InvalidAction:
                continue
            steps.append(step)
            states.append(machine.state)
            moved = True
            if machine.result() is not None:
                break
        if machine.result() is not None:
            break
        if game.realtime:
            machine.tick()
        elif not moved:
            deadline = machine.deadline()
            assert deadline is not None, "the bots are stuck"
            step = Step(TIMEOUT, None, None, deadline, machine.ticks)
            if machine.apply(step) is not None:
                steps.append(step)
                states.append(machine.state)
        assert machine.version < 50_000
    return machine, steps, states


async def _store(
    svc: Services,
    room_id: str,
    game: Game,
    machine: GameMachine,
    steps: list[Step],
    result: dict[str, Any] | None = None,
) -> str:
    """Write the played game as the engine does: its row, its log, its result."""
    record = repo.GameRecord(
        game_id=f"g-{game.id}",
        room_id=room_id,
        game_no=1,
        game=game.id,
        seed=machine.seed,
        options=machine.options,
        players=list(machine.players),
        dev=False,
        started_at=T0,
    )
    result = result or dict(machine.result() or {})
    async with svc.db.write() as conn:
        await repo.insert_game(conn, record)
        await repo.write(
            conn,
            [
                *(
                    repo.ActionEntry(record.game_id, room_id, n, s.kind, s.player, s.payload, s.ticks, s.at)
                    for n, s in enumerate(steps, start=1)
                ),
                repo.FinishEntry(record.game_id, machine.now, result),
            ],
        )
    return record.game_id


CASES: dict[str, tuple[Game, Strategy, dict[str, Any], int]] = {
    "tictactoe": (TicTacToe(), tictactoe_bot.choose, {}, 2),
    "cabo": (Cabo(), cabo_bot.choose, {}, 3),
    "arena": (Arena(), arena_bot.choose, {"time_limit": 20}, 3),
}


@pytest.mark.parametrize("name", sorted(CASES))
async def test_every_builtin_game_replays_to_its_stored_result(api: Api, name: str) -> None:
    game, strategy, options, n = CASES[name]
    users = [await api.user(f"p{i}") for i in range(n)]
    room = await users[0].create_room("r", name, config={"max_players": max(n, 2)})
    for user in users[1:]:
        assert (await user.http.post(f"/api/rooms/{room['room_code']}/join")).status_code == 200
    machine, steps, states = _play(game, [u.session_id for u in users], strategy, options)
    svc: Services = api.app.state.services
    game_id = await _store(svc, room["room_id"], game, machine, steps)

    watcher = api.client()  # no session at all: the room is public
    resp = await watcher.get(f"/api/replays/{game_id}")
    assert resp.status_code == 200, resp.text
    replay = resp.json()
    assert replay["game_id"] == game_id and replay["game"] == name
    assert replay["seed"] == machine.seed and replay["options"] == machine.options
    assert replay["result"] == machine.result()
    assert replay["steps"][0]["action"] is None
    assert replay["steps"][-1]["view"] == game.view(machine.state, None)
    if game.realtime:
        # One step per periodic view; the inputs in between are counted there, not listed.
        ticks = [s["action"] for s in replay["steps"][1:]]
        assert {a["kind"] for a in ticks} == {"tick"}
        assert 0 < len(ticks) <= MAX_TICK_VIEWS
        assert sum(a["inputs"] for a in ticks) == len(steps)
        stride = replay["tick_stride"]
        assert stride == tick_stride(game, machine.now - T0) == 3
        assert all(a["ticks"] % stride == 0 for a in ticks[:-1])
        assert ticks[-1]["ticks"] == machine.ticks
    else:
        logged = [s["action"] for s in replay["steps"][1:]]
        assert [(a["kind"], a["player"], a["payload"]) for a in logged] == [
            (s.kind, s.player, s.payload) for s in steps
        ]
        # Step by step, exactly what a spectator saw, and never one player's own view mid-game.
        assert [s["view"] for s in replay["steps"]] == [game.view(st, None) for st in states]
        for step, state in zip(replay["steps"][:-1], states[:-1], strict=True):
            for p in machine.players:
                if game.view(state, p) != game.view(state, None):
                    assert step["view"] != game.view(state, p)


def _cards_shown(view: Any) -> int:
    """How many face-down cards (and drawn cards) a Cabo view shows the value of."""
    hidden = [card for hand in view["hands"].values() for card in hand if not card["face_up"]]
    return sum(card["rank"] is not None for card in hidden) + (view["drawn"] is not None)


async def test_a_cabo_replay_never_shows_a_hidden_card(api: Api) -> None:
    game, strategy, options, n = CASES["cabo"]
    users = [await api.user(f"c{i}") for i in range(n)]
    room = await users[0].create_room("c", "cabo")
    for user in users[1:]:
        await user.http.post(f"/api/rooms/{room['room_code']}/join")
    machine, steps, states = _play(game, [u.session_id for u in users], strategy, options)
    game_id = await _store(api.app.state.services, room["room_id"], game, machine, steps)
    replay = (await api.client().get(f"/api/replays/{game_id}")).json()
    for step, state in zip(replay["steps"], states, strict=True):
        assert step["view"] == game.view(state, None)
        for event in step["events"]:
            assert event["type"] not in {"initial_peek", "drew_card", "peek_result", "spy_result"}
    own = [game.view(state, p) for state in states[:-1] for p in machine.players]
    assert any(_cards_shown(v) for v in own)  # the players did see cards …
    assert not any(
        _cards_shown(s["view"]) for s in replay["steps"][:-1] if s["view"]["phase"] != "round_over"
    )


async def _move(sock: Sock, cell: int) -> None:
    await sock.send({"type": "action", "payload": {"cell": cell}, "ref": cell})


async def test_a_game_over_a_server_its_id_and_who_may_watch(server: Server, remote: Api) -> None:
    alice, bob = await remote.user("alice"), await remote.user("bob")
    created = await alice.create_room("t", "tictactoe", private=True)
    code = created["room_code"]
    assert created["room"]["last_game_id"] is None
    assert (await bob.http.post(f"/api/rooms/{code}/join")).status_code == 200
    a, b = await Sock.open(server, alice), await Sock.open(server, bob)
    await a.expect("room_state")
    await b.expect("room_state")
    started = (await alice.http.post(f"/api/rooms/{code}/start")).json()["room"]
    game_id = started["last_game_id"]
    assert game_id is not None
    first = await a.expect("game_state")
    assert first["game_id"] == game_id
    assert (await alice.http.get(f"/api/rooms/{code}")).json()["room"]["last_game_id"] == game_id

    # While the game runs there is no replay, for anyone: its seed would tell the future.
    running = await alice.http.get(f"/api/replays/{game_id}")
    assert running.status_code == 404 and running.json()["error"]["code"] == "game_not_over"

    for version, (sock, cell) in enumerate(((a, 0), (b, 3), (a, 1), (b, 4), (a, 2)), start=1):
        await _move(sock, cell)
        await a.expect("game_state", version=version)
    final = await b.expect("game_state", version=5)
    assert final["game_id"] == game_id and final["result"]["winners"] == [alice.session_id]
    finished = await a.expect("room_updated")
    while finished["room"]["state"] != "FINISHED":
        finished = await a.expect("room_updated")
    assert finished["room"]["last_game_id"] == game_id

    resp = await bob.http.get(f"/api/replays/{game_id}")
    assert resp.status_code == 200, resp.text
    replay = resp.json()
    assert replay["result"] == final["result"]
    assert [s["action"]["payload"]["cell"] for s in replay["steps"][1:]] == [0, 3, 1, 4, 2]
    assert replay["steps"][-1]["view"] == final["state"]  # tic-tac-toe hides nothing
    assert [e["type"] for e in replay["steps"][1]["events"]] == ["moved"]
    assert replay["names"] == {alice.session_id: "alice", bob.session_id: "bob"}

    # A private room: no replay for a stranger, with or without a session (the 404 of an unknown id).
    carol: User = await remote.user("carol")
    for client in (carol.http, remote.client()):
        refused = await client.get(f"/api/replays/{game_id}")
        assert refused.status_code == 404 and refused.json()["error"]["code"] == "replay_not_found"
    unknown = await carol.http.get("/api/replays/no-such-game")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "replay_not_found"

    # Bob leaves the room: he played the game, so he may still watch it.
    assert (await bob.http.post(f"/api/rooms/{code}/leave")).status_code in (200, 204)
    assert (await bob.http.get(f"/api/replays/{game_id}")).status_code == 200

    # The room is closed: its players still may watch, nobody else.
    assert (await alice.http.delete(f"/api/rooms/{code}")).status_code in (200, 204)
    assert (await alice.http.get(f"/api/replays/{game_id}")).json()["result"] == final["result"]
    assert (await carol.http.get(f"/api/replays/{game_id}")).status_code == 404


async def test_a_log_that_does_not_end_at_its_result_is_refused_not_replayed(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    game, strategy, options, n = CASES["tictactoe"]
    users = [await api.user(f"t{i}") for i in range(n)]
    room = await users[0].create_room("t", "tictactoe")
    await users[1].http.post(f"/api/rooms/{room['room_code']}/join")
    machine, steps, _ = _play(game, [u.session_id for u in users], strategy, options)
    stored = {"winners": ["someone else"], "draw": False}
    game_id = await _store(api.app.state.services, room["room_id"], game, machine, steps, stored)
    resp = await users[0].http.get(f"/api/replays/{game_id}")
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "replay_failed"
    assert "not at the stored result" in caplog.text and "Traceback" not in caplog.text


def test_a_log_with_a_gap_is_refused_not_replayed() -> None:
    """A log that misses steps (a write of a real-time game's inputs that failed) never replays."""
    players = ["ann", "bob", "cat"]
    machine, steps, _ = _play(Arena(), players, arena_bot.choose, {"time_limit": 10})
    record = repo.GameRecord("g", "r", 1, "arena", 7, {"time_limit": 10}, players, False, T0, T0 + 10)
    record = dataclasses.replace(record, result=json.loads(json.dumps(machine.result())))
    entries = [
        repo.ActionEntry("g", "r", n, s.kind, s.player, s.payload, s.ticks, s.at)
        for n, s in enumerate(steps, 1)
    ]
    assert rebuild(record, Arena(), entries)["result"] == record.result
    with pytest.raises(ReplayMismatch, match="misses the steps before step 6"):
        rebuild(record, Arena(), entries[:4] + entries[5:])
