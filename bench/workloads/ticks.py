"""``ticks``: real-time rooms of 5 players running the synthetic ``bench_pulse`` game (30 ticks a second,
20 views a second), added in steps on one roomservice process until the views' timing slips.

A room ticks on a fixed schedule from its start and each view carries its tick count, so each view's
lateness is its arrival minus its tick's place on that schedule (see ``Worker.watch``); jitter is the
spread of that lateness. The views of one room are not evenly spaced (at 30 ticks and 20 views a second
they go out on ticks 2, 3, 5, 6, 8, 9, ...: 33 and 67 ms apart), which is why lateness is measured
against the tick, not against the previous view. It is measured at the client, so it includes the
server's tick scheduling, the network stack and the load generator's own scheduling: an upper bound on
the server's tick jitter. The workload has no baseline: neither baseline runs games.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bench.games import Pulse
from bench.http import HttpConnection
from bench.loadgen import split_rooms
from bench.options import Options
from bench.report import Progress, table
from bench.servers import Server
from bench.workloads.measure import connect_all, figures, phase, running
from bench.workloads.setup import parallel, seated_players

PLAYERS = 5
TICK = 1 / Pulse.tick_rate
#: The jitter p99 (ms) past which a process is considered full.
LIMIT_MS = 5.0


async def start_games(port: int, hosts: list[str], codes: list[str]) -> None:
    def job(token: str, code: str) -> Callable[[HttpConnection], Awaitable[None]]:
        async def run(conn: HttpConnection) -> None:
            await conn.request("POST", f"/api/rooms/{code}/start", {}, token)

        return run

    await parallel(port, [job(t, c) for t, c in zip(hosts, codes, strict=True)])


COLUMNS = [
    ("rooms", "rooms"),
    ("players", "players"),
    ("frames_per_s", "views/s"),
    ("expected_per_s", "expected/s"),
    ("p50_ms", "jitter p50 ms"),
    ("p99_ms", "jitter p99 ms"),
    ("max_ms", "jitter max ms"),
    ("cpu_percent", "srv CPU%"),
    ("rss_mib", "RSS MiB"),
    ("loadgen_cpu_percent", "gen CPU%"),
]


async def run(opts: Options, ui: Progress) -> dict[str, Any]:
    steps = [2] if opts.smoke else list(opts.tick_steps)
    server = Server("roomservice")
    ui.begin("ticks: starting roomservice")
    rows: list[dict[str, Any]] = []
    held = 0
    async with running(server, opts, ui) as gen:
        await gen.start()
        for rooms in steps:
            added = rooms - held
            ui.begin(f"ticks: seating and starting {added} more rooms ({rooms} in all)")
            players = await seated_players(
                server.kind, server.port, added, PLAYERS, "bench_pulse", held * PLAYERS
            )
            await connect_all(gen, server.port, split_rooms(players, opts.workers), "ticks")
            hosts = [p for i, p in enumerate(players) if i % PLAYERS == 0]
            await start_games(server.port, [h.token for h in hosts], [h.room for h in hosts])
            held = rooms
            ui.begin(f"ticks: {rooms} rooms")
            result = await phase(gen, server, opts, ("watch", opts.warmup, opts.duration, TICK))
            rows.append(
                {
                    "rooms": rooms,
                    "players": rooms * PLAYERS,
                    "frames_per_s": result["received_per_s"],
                    "expected_per_s": rooms * PLAYERS * Pulse.view_rate,
                    **figures(result),
                    "lost": result["sockets_lost"],
                    "errors": result["errors"],
                }
            )
            if (result["p99_ms"] or 0) > LIMIT_MS:
                break
        await gen.all("close")
    within = [r["rooms"] for r in rows if r["p99_ms"] is not None and r["p99_ms"] <= LIMIT_MS]
    most = max(within, default=0)
    title = (
        f"ticks: rooms of {PLAYERS} players at 30 ticks/s and 20 views/s; lateness of each view against its "
        f"tick's schedule, at the client; most rooms with p99 <= {LIMIT_MS:g} ms: {most}"
    )
    return {"rows": rows, "most_rooms_within_limit": most, "tables": [table(title, COLUMNS, rows)]}
