"""Two real ``roomservice serve --redis-url … --database-url postgresql…`` processes on one PostgreSQL
database and one Redis, behind Debian's nginx with the repository's deploy/nginx.conf. Clients only
ever talk to nginx, and reconnect through it.

- players on both nodes chat and play Cabo in one room; its owner is SIGKILLed mid-game (twice, one
  node then the other) and the game goes on on the other node with every acknowledged action, the next
  move of a player retrying every 0.2 s taken within 5 s of the SIGKILL;
- a node cut off from Redis (its connections to Redis go through a relay the test cuts) stops
  advancing its rooms, the other node takes them over, and the cut-off node serves again once it
  reaches Redis;
- a rolling restart of both nodes (SIGTERM, start again, wait until nginx sends to it again, then the
  other) under bots playing tic-tac-toe loses no room and no acknowledged move;
- fifty sessions race for a room's last seat across both nodes and exactly one gets it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from redis.asyncio import Redis

from roomservice.bots import tictactoe
from roomservice.bots.strategies import LOST_RACE
from roomservice.client import ApiError, Chat, Client, Error, Event, GameState, Socket, SocketClosed
from tests.cluster.harness import ROOT, Nginx, Node, Relay
from tests.conftest import REDIS_URL
from tests.engine.test_restart import _deck

pytestmark = pytest.mark.slow

NODE_IDS = ("node-a", "node-b")
#: The issue's bound: from a node's SIGKILL to the next accepted action of a client retrying every 0.2 s.
FAILOVER_BOUND = 5.0
#: The issue's bound on how long nginx leaves a restarted node out (deploy/nginx.conf's fail_timeout
#: is 5 s), from the moment the node answers.
ROTATION_BOUND = 10.0
#: How long a test polls for it.
ROTATION_WAIT = 20.0


def _via(url: str, port: int) -> str:
    """``url`` (a Redis URL) with its host and port replaced by 127.0.0.1:``port``."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"127.0.0.1:{port}"))


@dataclass
class Deployment:
    nodes: dict[str, Node]
    relays: dict[str, Relay]
    nginx: Nginx
    redis: Redis
    prefix: str

    @property
    def url(self) -> str:
        return self.nginx.url

    def other(self, node_id: str) -> str:
        return next(n for n in NODE_IDS if n != node_id)

    async def owner(self, code: str, via: str | None = None) -> str:
        """The node owning the room, as ``GET /api/rooms/{code}`` says (through nginx, or a node)."""
        base = self.nodes[via].url if via else self.url
        async with httpx.AsyncClient(base_url=base) as http:
            answer = await http.get(f"/api/rooms/{code}")
        assert answer.status_code == 200, answer.text
        owner: str = answer.json()["node"]
        return owner

    async def socket_node(self, session_id: str) -> str | None:
        """The node holding the session's socket (what the nodes record in Redis)."""
        value = await self.redis.get(f"{self.prefix}sock:{session_id}")
        return value.decode() if value is not None else None

    async def connect_on(self, client: Client, node_id: str) -> Socket:
        """The client's socket, opened through nginx until it lands on ``node_id`` (nginx sends each
        new connection to the next node in turn)."""
        for _ in range(10):
            sock = await client.connect()
            assert sock.session_id is not None
            if await self.socket_node(sock.session_id) == node_id:
                return sock
            await sock.close()
        raise AssertionError(f"nginx never sent a socket to {node_id}")

    async def start(self, node_id: str) -> None:
        """Start the node again (on its port), and wait until nginx sends requests to it again."""
        node = self.nodes[node_id]
        await asyncio.to_thread(lambda: node.start().wait_ready())
        took = await self.in_rotation(node_id)
        print(f"{node_id}: in nginx's rotation {took:.2f} s after it answered")
        assert took <= ROTATION_BOUND

    async def in_rotation(self, node_id: str) -> float:
        """Poll nginx until it has passed a request to the node; the seconds it took."""
        address = self.nodes[node_id].address
        began = time.monotonic()
        seen = len(self.nginx.access_log)
        async with httpx.AsyncClient(base_url=self.url) as http:
            while time.monotonic() - began < ROTATION_WAIT:
                await http.get("/healthz")
                lines = self.nginx.access_log
                if any(line.endswith(f" 200 upstream={address}") for line in lines[seen:]):
                    return time.monotonic() - began
                await asyncio.sleep(0.1)
        raise AssertionError(f"nginx did not send to {node_id} again within {ROTATION_WAIT} s")


def _migrate(database_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROOMSERVICE_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")]))
    command = [sys.executable, "-m", "roomservice.cli", "migrate", "--database-url", database_url]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture
async def deployment(
    nginx_installed: None, shared_postgres: str, prefix: str, tmp_path: Path
) -> AsyncIterator[Deployment]:
    await asyncio.to_thread(_migrate, shared_postgres)  # once, before the nodes, as docs/deployment.md says
    redis_at = urlsplit(REDIS_URL)
    relays = {n: Relay(redis_at.hostname or "127.0.0.1", redis_at.port or 6379).start() for n in NODE_IDS}
    env = {
        "ROOMSERVICE_REDIS_PREFIX": prefix,
        "ROOMSERVICE_HTTP_RATE_SESSIONS": "0",  # every test client comes from 127.0.0.1
        "ROOMSERVICE_HTTP_RATE_ROOMS": "0",
        # A few connections each: the test PostgreSQL serves other test runs too.
        "ROOMSERVICE_DATABASE_POOL_SIZE": "5",
    }
    nodes = {
        n: Node(
            tmp_path / n,
            args=[
                "--node-id", n, "--no-migrate", "--dev",
                "--database-url", shared_postgres,
                "--redis-url", _via(REDIS_URL, relays[n].port),
            ],
            env=env,
        )
        for n in NODE_IDS
    }  # fmt: skip
    redis = Redis.from_url(REDIS_URL)
    nginx: Nginx | None = None
    try:
        for node in nodes.values():
            node.start()
        for node in nodes.values():
            await asyncio.to_thread(node.wait_ready)
        nginx = Nginx([node.address for node in nodes.values()]).start()
        yield Deployment(nodes, relays, nginx, redis, prefix)
    finally:
        if nginx is not None:
            nginx.stop()
        for node in nodes.values():
            await asyncio.to_thread(node.stop)
        for relay in relays.values():
            relay.close()
        await redis.aclose()
        for node_id, node in nodes.items():
            log = node.log.read_text() if node.log.exists() else ""
            assert "Traceback" not in log, f"{node_id}:\n{log[-5000:]}"


class Player:
    """A socket and every event it delivered, read as they come."""

    def __init__(self, sock: Socket) -> None:
        self.sock = sock
        self.seen: list[Event] = []
        self._new = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(SocketClosed):
            while True:
                self.seen.append(await self.sock.next())
                self._new.set()

    async def until(self, test: Callable[[Event], bool], timeout: float = 15.0, start: int = 0) -> Any:
        """The first event from index ``start`` on for which ``test`` holds."""
        i = start
        async with asyncio.timeout(timeout):
            while True:
                for event in self.seen[i:]:
                    if test(event):
                        return event
                i = len(self.seen)
                self._new.clear()
                await self._new.wait()

    async def state(
        self, test: Callable[[GameState], bool], timeout: float = 15.0, start: int = 0
    ) -> GameState:
        state: GameState = await self.until(lambda e: isinstance(e, GameState) and test(e), timeout, start)
        return state

    @property
    def states(self) -> list[GameState]:
        return [e for e in self.seen if isinstance(e, GameState)]

    async def close(self) -> None:
        await self.sock.close()
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)


def assert_one_story(player: Player) -> None:
    """Each game's views came in seq order with no version skipped (a view again at the same version
    is the new owner's after a takeover) and none going back."""
    states = player.states
    assert [s.seq for s in states] == sorted({s.seq for s in states}), [s.seq for s in states]
    for game_no, views in itertools.groupby(states, key=lambda s: s.game_no):
        versions = [s.version for s in views]
        steps = {b - a for a, b in itertools.pairwise(versions)}
        assert steps <= {0, 1}, (game_no, versions)


async def retry_every(
    player: Player, payload: dict[str, Any], taken: Callable[[GameState], bool]
) -> GameState:
    """Send ``payload`` every 0.2 s until a view for which ``taken`` holds arrives."""
    start = len(player.seen)
    for n in itertools.count():
        await player.sock.action(payload, ref=f"retry-{n}")
        with contextlib.suppress(TimeoutError):
            return await player.state(taken, timeout=0.2, start=start)
    raise AssertionError("unreachable")


async def test_players_on_two_nodes_chat_and_play_cabo_through_each_owners_sigkill(
    deployment: Deployment,
) -> None:
    d = deployment
    alice, bob = Client(d.url), Client(d.url)
    sessions = [await alice.create_session("alice"), await bob.create_session("bob")]
    room = await alice.create_room("cabo", "cabo")
    await bob.join(room.room_code)
    players = {
        sessions[0].session_id: Player(await d.connect_on(alice, "node-a")),
        sessions[1].session_id: Player(await d.connect_on(bob, "node-b")),
    }
    a, b = players.values()

    await a.sock.chat("hello from alice")
    await b.sock.chat("hello from bob")
    heard = []
    for p in (a, b):
        await p.until(lambda e: isinstance(e, Chat) and e.text == "hello from bob")
        await p.until(lambda e: isinstance(e, Chat) and e.text == "hello from alice")
        heard.append([(e.seq, e.text) for e in p.seen if isinstance(e, Chat)])
    assert heard[0] == heard[1]  # one order for everyone, whichever node numbered them

    await alice.start(room.room_code, options={"peek_seconds": 0.2, "deck": _deck()})
    views = [await p.state(lambda e: e.state["phase"] == "turn") for p in (a, b)]
    assert views[0].seq == views[1].seq

    async def turn(acknowledged: GameState) -> GameState:
        """The player whose turn it is draws and exchanges; the view acknowledging the exchange."""
        mover = players[acknowledged.state["turn"]]
        await mover.sock.action({"move": "draw"}, ref="draw")
        await mover.state(lambda e: e.ref == "draw")
        return await exchange(mover)

    async def exchange(mover: Player) -> GameState:
        start = len(mover.seen)
        await mover.sock.action({"move": "exchange", "cards": [0]}, ref="exchange")
        done = await mover.state(lambda e: e.ref == "exchange", start=start)
        for p in (a, b):
            await p.state(lambda e: e.version == done.version)
        return done

    async def kill_the_owner(acknowledged: GameState) -> tuple[GameState, float]:
        """SIGKILL the room's owner; the next player's draw, sent every 0.2 s until it is taken, and
        the seconds from the SIGKILL to that; then the node is started again."""
        owner = await d.owner(room.room_code)
        marks = [len(p.seen) for p in (a, b)]
        d.nodes[owner].kill()
        killed = time.monotonic()
        mover = players[acknowledged.state["turn"]]
        drawn = await retry_every(mover, {"move": "draw"}, lambda e: e.version == acknowledged.version + 1)
        took = time.monotonic() - killed
        assert drawn.state["phase"] == "drawn"
        # Both came back (one was never away) to the game as acknowledged, then saw the draw.
        for p, mark in zip((a, b), marks, strict=True):
            back = await p.state(lambda e: e.seq > acknowledged.seq, start=mark)
            assert (back.version, back.state["turn"]) == (acknowledged.version, acknowledged.state["turn"])
            await p.state(lambda e: e.version == drawn.version, start=mark)
        assert await d.owner(room.room_code) == d.other(owner)
        done = await exchange(mover)
        await d.start(owner)  # back, and in nginx's rotation again
        return done, took

    acknowledged = await turn(views[0])
    failovers: list[float] = []
    for _ in range(2):
        acknowledged, took = await kill_the_owner(await turn(acknowledged))
        failovers.append(took)

    for p in (a, b):
        assert_one_story(p)
    print(f"failover: {', '.join(f'{s:.2f}' for s in failovers)} s from SIGKILL to the next accepted action")
    assert max(failovers) <= FAILOVER_BOUND
    for p in (a, b):
        await p.close()
    await alice.aclose()
    await bob.aclose()


async def test_a_node_cut_off_from_redis_stops_advancing_its_rooms_and_the_other_takes_over(
    deployment: Deployment,
) -> None:
    d = deployment
    alice, bob = Client(d.url), Client(d.url)
    a_session = await alice.create_session("alice")
    await bob.create_session("bob")
    room = await alice.create_room("fenced", "tictactoe")
    await bob.join(room.room_code)
    cut_off = await d.owner(room.room_code)
    other = d.other(cut_off)
    # Alice (X: she created the room) plays through the other node, bob (O) through the room's owner.
    a = Player(await d.connect_on(alice, other))
    b = Player(await d.connect_on(bob, cut_off))
    await alice.start(room.room_code)
    first = await a.state(lambda e: True)
    assert first.state["marks"][a_session.session_id] == "X"
    await a.sock.action({"cell": 0}, ref="x1")
    x1 = await a.state(lambda e: e.ref == "x1")
    await b.state(lambda e: e.version == x1.version)

    d.relays[cut_off].cut()
    cut = time.monotonic()
    # Its lease still holds by its own clock: the node takes bob's move (written to the database
    # before anyone sees it), though it cannot tell the other node.
    await b.sock.action({"cell": 4}, ref="o1")
    o1 = await b.state(lambda e: e.ref == "o1")
    assert o1.version == x1.version + 1
    # The other node has a socket in the room: once the lease has lapsed in Redis it takes the room (a
    # newer fencing token) and brings the game back from the database, bob's move included.
    restored = await a.state(lambda e: e.seq > x1.seq)
    took = time.monotonic() - cut
    assert restored.version == o1.version and restored.state["board"][4] == "O"
    assert await d.owner(room.room_code, via=other) == other
    await a.sock.action({"cell": 1}, ref="x2")
    x2 = await a.state(lambda e: e.ref == "x2")
    assert x2.version == o1.version + 1

    # The cut-off node no longer advances the room: bob's move there is not taken, nor seen anywhere.
    await b.sock.action({"cell": 2}, ref="o2-cut")
    refused = await b.until(lambda e: isinstance(e, Error) and e.ref == "o2-cut")
    assert refused.code != "rate_limited"
    await a.sock.ping()
    assert not [s for s in a.states + b.states if s.version > x2.version]

    # In touch with Redis again, the node hands bob what the new owner sent meanwhile, and passes his
    # moves on to it.
    d.relays[cut_off].mend()
    await b.state(lambda e: e.version == x2.version, timeout=20)
    o2 = await retry_every(b, {"cell": 2}, lambda e: e.version == x2.version + 1)
    assert o2.state["board"][:5] == ["X", "X", "O", None, "O"]
    await a.state(lambda e: e.version == o2.version)
    assert await d.owner(room.room_code) == other
    for p in (a, b):
        assert_one_story(p)
    print(f"takeover: {took:.2f} s from the cut to the other node's restored view ({refused.code})")
    for p in (a, b):
        await p.close()
    await alice.aclose()
    await bob.aclose()


@dataclass
class Table:
    """A tic-tac-toe room of two bots, who play game after game (the host starts the next) until told
    to stop, and check that no move of theirs that was acknowledged is ever missing from a later view."""

    code: str
    hosts: Client
    guests: Client
    players: list[Player] = field(default_factory=list)
    #: Moves acknowledged (a view carrying the move's ref): game_no, version, cell, mark.
    acknowledged: set[tuple[int, int, int, str]] = field(default_factory=set)
    #: What each bot last saw and did, by session id (said when a table gets stuck).
    status: dict[str, str] = field(default_factory=dict)
    #: How the host's last start went.
    started: str = ""
    #: The table's last game, once its host has stopped starting games.
    final: str | None = None
    #: How many moves were acknowledged.
    moves: int = 0
    #: The last view of each game that ended, by game number.
    finished: dict[int, GameState] = field(default_factory=dict)

    async def run(self, stop: asyncio.Event, seed: int) -> None:
        clients = (self.hosts, self.guests)
        await asyncio.gather(
            *(
                self._bot(p, c, i == 0, stop, random.Random(seed + i))
                for i, (p, c) in enumerate(zip(self.players, clients, strict=True))
            )
        )

    async def _bot(
        self, player: Player, client: Client, host: bool, stop: asyncio.Event, rng: random.Random
    ) -> None:
        me = client.session_id
        assert me is not None
        refs = itertools.count(1)
        view: GameState | None = None
        in_flight: tuple[str, float] | None = None
        started = 1  # the number of the last game the host started
        i = 0
        while True:
            with contextlib.suppress(TimeoutError):
                await player.until(lambda e: True, timeout=0.5, start=i)
            now = time.monotonic()
            for event in player.seen[i:]:
                if isinstance(event, GameState):
                    self._check(event)
                    if view is None or (event.game_no, event.version) >= (view.game_no, view.version):
                        view = event
                    if in_flight is not None and event.ref == in_flight[0]:
                        mine = event.state["marks"][me]
                        cells = [c for c, m in enumerate(event.state["board"]) if m == mine]
                        self.acknowledged.update((event.game_no, event.version, c, mine) for c in cells)
                        self.moves += 1
                        in_flight = None
                    if event.result is not None:
                        self.finished[event.game_no] = event
                elif isinstance(event, Error) and in_flight is not None and event.ref == in_flight[0]:
                    in_flight = None if event.code in LOST_RACE else (in_flight[0], now - 1.5)
            i = len(player.seen)
            self.status[me] = _status(view, in_flight, player)
            if view is None:
                continue
            if view.result is not None:
                if host:
                    if view.game_no < started:
                        continue  # the next game is started: its first view is on its way
                    if stop.is_set():
                        self.final = view.game_id  # the host starts no other: the table's last game
                        return
                    self.started = await _start_again(client, self.code, view.game_id)
                    started = view.game_no + 1
                elif view.game_id == self.final:
                    return
                continue
            if in_flight is not None and now - in_flight[1] > 2.0:
                in_flight = None  # never answered (lost with a node): decide again on the latest view
            if in_flight is None and view.state["turn"] == me:
                move = tictactoe.choose(view.state, me, rng)
                if move is not None:
                    ref = f"m{next(refs)}"
                    await asyncio.sleep(0.05)  # a bot that thinks a little
                    await player.sock.action(move, ref=ref)
                    in_flight = (ref, time.monotonic())

    def _check(self, view: GameState) -> None:
        """No move acknowledged at the view's version or before is missing from it (each player reads
        a socket of its own: one may see a view older than the other's latest acknowledgement)."""
        board = view.state["board"]
        missing = [
            (c, m)
            for g, v, c, m in self.acknowledged
            if g == view.game_no and v <= view.version and board[c] != m
        ]
        assert not missing, (self.code, view.game_no, view.version, missing, board)


def _said(t: Table) -> str:
    """What a table's bots last saw and did, and their sockets now."""
    socks = [(p.sock.state.value, p.sock.reconnects, len(p.seen)) for p in t.players]
    return f"{t.code}: start {t.started}; sockets {socks}; {t.status}"


def _status(view: GameState | None, in_flight: tuple[str, float] | None, player: Player) -> str:
    last = (
        f"game {view.game_no} v{view.version} seq {view.seq} turn {view.state.get('turn')}" if view else "-"
    )
    over = " over" if view is not None and view.result is not None else ""
    return f"{last}{over}; in flight {in_flight}; socket {player.sock.state}; last {player.seen[-1:]}"


async def _start_again(client: Client, code: str, ended: str | None) -> str:
    """Start the room's next game after the game ``ended``, through whatever node nginx picks; a
    request lost with a node is sent again. How it went."""
    tried: list[str] = []
    for _ in range(50):
        try:
            room = await client.start(code)
            return f"started ({room.state}, {room.last_game_id}) after {tried}"
        except ApiError as exc:
            tried.append(f"{exc.status} {exc.code}")
            if exc.status == 409:
                # Either the room is not FINISHED yet (the result goes out before the room's state
                # changes), or a start sent before, whose answer was lost, did start the next game.
                room = await client.room(code)
                if room.last_game_id != ended:
                    return f"started by an earlier try ({room.last_game_id}) after {tried}"
            elif exc.status < 500:
                raise
        except httpx.TransportError as exc:
            tried.append(repr(exc))
        await asyncio.sleep(0.2)
    raise AssertionError(f"room {code}: the game after {ended} could not be started: {tried}")


async def _table(d: Deployment, n: int) -> Table:
    host, guest = Client(d.url), Client(d.url)
    await host.create_session(f"host {n}")
    await guest.create_session(f"guest {n}")
    room = await host.create_room(f"table {n}", "tictactoe")
    await guest.join(room.room_code)
    table = Table(room.room_code, host, guest)
    table.players = [Player(await host.connect()), Player(await guest.connect())]
    await host.start(room.room_code)
    return table


async def _until(test: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not test():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.1)


async def test_a_rolling_restart_under_bot_load_loses_nothing(deployment: Deployment) -> None:
    d = deployment
    tables = [await _table(d, n) for n in range(6)]
    stop = asyncio.Event()
    bots = asyncio.gather(*(t.run(stop, seed=10 * n) for n, t in enumerate(tables)))
    try:
        await _until(lambda: all(t.moves >= 3 for t in tables), 30, "the bots did not get going")
        for node_id in NODE_IDS:
            node = d.nodes[node_id]
            before = [t.moves for t in tables]
            stopping = time.monotonic()
            # Drained within the wait (uvicorn exits by the signal it caught once the app has closed).
            assert await asyncio.to_thread(node.stop, 30.0) in (0, -signal.SIGTERM)
            drained = time.monotonic() - stopping
            await d.start(node_id)
            # Every table played on since the node was stopped.
            await _until(
                lambda before=before: all(t.moves > m for t, m in zip(tables, before, strict=True)),  # type: ignore[misc]
                30,
                f"a table stopped playing after {node_id} restarted: {[_said(t) for t in tables]}",
            )
            print(f"{node_id}: drained in {drained:.2f} s")
        stop.set()
        try:
            await asyncio.wait_for(asyncio.shield(bots), 60)
        except TimeoutError:
            stuck = {}
            for t in tables:
                room = await t.hosts.room(t.code)
                stuck[t.code] = [f"room {room.state} {room.last_game_id}", _said(t)]
            raise AssertionError(f"tables did not finish their games: {stuck}") from None
    finally:
        stop.set()
        if not bots.done():
            bots.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await bots

    for t in tables:
        auth = {"Authorization": f"Bearer {t.hosts.token}"}
        room = await t.hosts.room(t.code)
        assert len(room.players) == 2 and room.state in ("IN_GAME", "FINISHED"), room
        async with httpx.AsyncClient(base_url=d.url, headers=auth) as http:
            assert t.finished, f"room {t.code} finished no game"
            # The record of each finished game holds every move its players saw acknowledged.
            for game_no, final in t.finished.items():
                assert final.game_id is not None
                replay = await http.get(f"/api/replays/{final.game_id}")
                assert replay.status_code == 200, replay.text
                board = replay.json()["steps"][-1]["view"]["board"]
                missing = [(c, m) for g, _, c, m in t.acknowledged if g == game_no and board[c] != m]
                assert not missing, (t.code, game_no, missing)
    reconnected = sum(p.sock.reconnects for t in tables for p in t.players)
    assert reconnected >= len(tables)  # each socket was on a node that restarted once at least
    games = sum(len(t.finished) for t in tables)
    moves = sum(t.moves for t in tables)
    print(f"games finished: {games}, moves acknowledged: {moves}, reconnects: {reconnected}")

    for t in tables:
        for p in t.players:
            await p.close()
        await t.hosts.aclose()
        await t.guests.aclose()


async def test_fifty_sessions_race_for_the_last_seat_across_two_node_processes(
    deployment: Deployment,
) -> None:
    url = deployment.url
    async with Client(url) as host:
        await host.create_session("host")
        room = await host.create_room("last seat", "cabo", config={"max_players": 2})
        async with httpx.AsyncClient(base_url=url) as http:
            sessions = await asyncio.gather(
                *(http.post("/api/session", json={"username": f"p{n}"}) for n in range(50))
            )
            tokens = [s.json()["token"] for s in sessions]
            answers = await asyncio.gather(
                *(
                    http.post(f"/api/rooms/{room.room_code}/join", headers={"Authorization": f"Bearer {t}"})
                    for t in tokens
                )
            )
        assert sorted(a.status_code for a in answers) == [200] + [409] * 49
        assert len((await host.room(room.room_code)).players) == 2
    # Both nodes answered some of the joins.
    served = {line.rsplit("upstream=", 1)[1] for line in deployment.nginx.access_log if "/join" in line}
    assert served == {node.address for node in deployment.nodes.values()}
