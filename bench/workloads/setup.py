"""Putting players in place before timing starts: sessions and seats over HTTP for roomservice, room
names for the baselines (which have neither)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from bench.adapters import Player
from bench.http import HttpConnection

HOST = "127.0.0.1"
T = TypeVar("T")


async def parallel(
    port: int, jobs: list[Callable[[HttpConnection], Awaitable[T]]], connections: int = 8
) -> list[T]:
    """Run ``jobs`` over a few keep-alive connections, in order of the list."""
    results: list[Any] = [None] * len(jobs)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(len(jobs)):
        queue.put_nowait(i)

    async def drain() -> None:
        conn = await HttpConnection.open(HOST, port)
        try:
            while not queue.empty():
                i = queue.get_nowait()
                results[i] = await jobs[i](conn)
        finally:
            await conn.close()

    await asyncio.gather(*(drain() for _ in range(min(connections, len(jobs)) or 1)))
    return results


async def identities(port: int, count: int, connections: int = 8) -> tuple[list[tuple[str, str]], float]:
    """``count`` guest sessions as (token, session id), and how many per second the server created."""

    def job(i: int) -> Callable[[HttpConnection], Awaitable[tuple[str, str]]]:
        async def run(conn: HttpConnection) -> tuple[str, str]:
            body = await conn.request("POST", "/api/session", {"username": f"p{i}"}, expect=201)
            return str(body["token"]), str(body["session_id"])

        return run

    t0 = time.monotonic()
    made = await parallel(port, [job(i) for i in range(count)], connections)
    return made, count / max(time.monotonic() - t0, 1e-9)


async def sessions(port: int, count: int, connections: int = 8) -> tuple[list[str], float]:
    """``count`` guest session tokens, and how many sessions per second the server created."""
    made, rate = await identities(port, count, connections)
    return [token for token, _ in made], rate


async def create_rooms(
    port: int, hosts: list[str], max_players: int, game: str = "bench_lounge"
) -> list[str]:
    """Each host creates one room of ``game`` (default the benchmark's lounge); the room codes."""

    def job(token: str) -> Callable[[HttpConnection], Awaitable[str]]:
        async def run(conn: HttpConnection) -> str:
            body = {"name": "bench", "game": game, "config": {"max_players": max_players}}
            created = await conn.request("POST", "/api/rooms", body, token, expect=201)
            return str(created["room_code"])

        return run

    return await parallel(port, [job(t) for t in hosts])


async def seated_players(
    kind: str, port: int, rooms: int, per_room: int, game: str = "bench_lounge", first: int = 0
) -> list[Player]:
    """``rooms`` × ``per_room`` players, each seated in its room of ``game``, ordered room by room (the
    first of each room is its host); indices start at ``first``."""
    if kind == "colyseus":
        return await colyseus_seats(port, rooms, per_room, first)
    if kind != "roomservice":
        return [Player(first + r * per_room + i, f"r{r}") for r in range(rooms) for i in range(per_room)]
    made, _ = await identities(port, rooms * per_room)
    tokens = [token for token, _ in made]
    codes = await create_rooms(port, [tokens[r * per_room] for r in range(rooms)], per_room, game)

    def join(token: str, code: str) -> Callable[[HttpConnection], Awaitable[None]]:
        async def run(conn: HttpConnection) -> None:
            await conn.request("POST", f"/api/rooms/{code}/join", {}, token)

        return run

    joins = [join(tokens[r * per_room + i], codes[r]) for r in range(rooms) for i in range(1, per_room)]
    await parallel(port, joins)
    return [
        Player(first + r * per_room + i, codes[r], *made[r * per_room + i], game=game, host=i == 0)
        for r in range(rooms)
        for i in range(per_room)
    ]


async def colyseus_seats(port: int, rooms: int, per_room: int, first: int = 0) -> list[Player]:
    """A seat for each player, reserved through Colyseus's matchmaker over HTTP: the first of each room
    creates it (``/matchmake/create/chat``), the others join it by id. A seat is taken by opening the
    socket of its reservation (``Player.room`` and ``Player.token``)."""

    def create(_: int) -> Callable[[HttpConnection], Awaitable[dict[str, Any]]]:
        async def run(conn: HttpConnection) -> dict[str, Any]:
            seat: dict[str, Any] = await conn.request(
                "POST", "/matchmake/create/chat", {"maxClients": per_room}
            )
            return seat

        return run

    def join(room_id: str) -> Callable[[HttpConnection], Awaitable[dict[str, Any]]]:
        async def run(conn: HttpConnection) -> dict[str, Any]:
            seat: dict[str, Any] = await conn.request("POST", f"/matchmake/joinById/{room_id}", {})
            return seat

        return run

    hosts = await parallel(port, [create(r) for r in range(rooms)])
    guests = await parallel(port, [join(h["roomId"]) for h in hosts for _ in range(1, per_room)])
    players = []
    for r, host in enumerate(hosts):
        for i, seat in enumerate([host, *guests[r * (per_room - 1) : (r + 1) * (per_room - 1)]]):
            players.append(
                Player(first + r * per_room + i, f"{seat['processId']}/{seat['roomId']}", seat["sessionId"])
            )
    return players
