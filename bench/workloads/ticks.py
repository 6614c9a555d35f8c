"""``ticks``: real-time rooms of 5 players, added in steps on one roomservice process until the views'
timing slips: first the synthetic ``bench_pulse`` game (30 ticks a second, 20 views a second, players
only watch), then the arena on a fresh process with the same steps (30 ticks a second, 20 views a second,
five bots each answering every view with one input: 100 inputs a second per room).

A room ticks on a fixed schedule from its start and each view carries its tick count, so each view's
lateness is its arrival minus its tick's place on that schedule (see ``Worker.watch``); jitter is the
spread of that lateness. The views of one room are not evenly spaced (at 30 ticks and 20 views a second
they go out on ticks 2, 3, 5, 6, 8, 9, ...: 33 and 67 ms apart), which is why lateness is measured
against the tick, not against the previous view. It is measured at the client, so it includes the
server's tick scheduling, the network stack and the load generator's own scheduling: an upper bound on
the server's tick jitter. Each row also gives the bytes of ``game_state`` frames received a second and
the server's CPU per room. The workload has no baseline: neither baseline runs games.
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
    ("game", "game"),
    ("rooms", "rooms"),
    ("players", "players"),
    ("frames_per_s", "views/s"),
    ("expected_per_s", "expected/s"),
    ("inputs_per_s", "inputs/s"),
    ("p50_ms", "lateness p50 ms"),
    ("p99_ms", "lateness p99 ms"),
    ("max_ms", "lateness max ms"),
    ("kb_per_s", "views kB/s"),
    ("bytes_per_view", "B/view"),
    ("cpu_percent", "srv CPU%"),
    ("cpu_per_room", "srv CPU%/room"),
    ("rss_mib", "RSS MiB"),
    ("loadgen_cpu_percent", "gen CPU%"),
]


def _steps(opts: Options) -> list[int]:
    return [2] if opts.smoke else list(opts.tick_steps)


def _row(label: str, rooms: int, result: dict[str, Any], opts: Options) -> dict[str, Any]:
    cpu = result["server_cpu_percent"]
    return {
        "game": label,
        "rooms": rooms,
        "players": rooms * PLAYERS,
        "frames_per_s": result["received_per_s"],
        "expected_per_s": rooms * PLAYERS * Pulse.view_rate,
        "inputs_per_s": result["sent_per_s"],
        **figures(result),
        "kb_per_s": round(result["state_bytes"] / opts.duration / 1000, 1),
        "bytes_per_view": round(result["state_bytes"] / max(result["received"], 1)),
        "cpu_per_room": round(cpu / rooms, 3) if cpu is not None else None,
        "lost": result["sockets_lost"],
        "errors": result["errors"],
    }


def _full(row: dict[str, Any]) -> bool:
    return (row["p99_ms"] or 0) > LIMIT_MS


async def run_pulse(opts: Options, ui: Progress) -> list[dict[str, Any]]:
    """Pulse rooms added in steps on one server (players only watch), until lateness p99 passes the limit."""
    server = Server("roomservice")
    ui.begin("ticks pulse: starting roomservice")
    rows: list[dict[str, Any]] = []
    held = 0
    async with running(server, opts, ui) as gen:
        await gen.start()
        for rooms in _steps(opts):
            added = rooms - held
            ui.begin(f"ticks pulse: seating and starting {added} more rooms ({rooms} in all)")
            players = await seated_players(
                server.kind, server.port, added, PLAYERS, "bench_pulse", held * PLAYERS
            )
            await connect_all(gen, server.port, split_rooms(players, opts.workers), "ticks")
            hosts = [p for i, p in enumerate(players) if i % PLAYERS == 0]
            await start_games(server.port, [h.token for h in hosts], [h.room for h in hosts])
            held = rooms
            ui.begin(f"ticks pulse: {rooms} rooms")
            command = ("watch", opts.warmup, opts.duration, TICK)
            result = await phase(gen, server, opts, command, ("state_bytes",))
            rows.append(_row("pulse", rooms, result, opts))
            if _full(rows[-1]):
                break
        await gen.all("close")
    return rows


async def run_arena(opts: Options, ui: Progress) -> list[dict[str, Any]]:
    """Arena rooms of five bots, each step on a fresh server (the bots' hosts start their matches as the
    phase begins), until lateness p99 passes the limit."""
    rows: list[dict[str, Any]] = []
    for rooms in _steps(opts):
        server = Server("roomservice")
        ui.begin(f"ticks arena: starting roomservice for {rooms} rooms")
        async with running(server, opts, ui) as gen:
            await gen.start()
            players = await seated_players(server.kind, server.port, rooms, PLAYERS, "arena")
            await connect_all(gen, server.port, split_rooms(players, opts.workers), "ticks")
            ui.begin(f"ticks arena: {rooms} rooms of bots")
            command = ("play", server.port, opts.warmup, opts.duration, TICK)
            result = await phase(gen, server, opts, command, ("state_bytes",))
            rows.append(_row("arena", rooms, result, opts))
            await gen.all("close")
        if _full(rows[-1]):
            break
    return rows


async def run(opts: Options, ui: Progress) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    tables: list[Any] = []
    most: dict[str, int] = {}
    for label, measure in (("pulse", run_pulse), ("arena", run_arena)):
        measured = await measure(opts, ui)
        rows += measured
        within = [r["rooms"] for r in measured if r["p99_ms"] is not None and r["p99_ms"] <= LIMIT_MS]
        most[label] = max(within, default=0)
    pulse = [r for r in rows if r["game"] == "pulse"]
    for row in rows:
        same = next((p for p in pulse if p["rooms"] == row["rooms"]), None)
        cost = same["cpu_per_room"] if same is not None else None
        mine = row["cpu_per_room"]
        row["vs_pulse"] = round(mine / cost, 2) if cost and mine is not None else None
    title = (
        f"ticks: rooms of {PLAYERS} players at 30 ticks/s and 20 views/s (pulse: players watch; arena: five "
        f"bots answer every view); lateness of each view against its tick's schedule, at the client; most "
        f"rooms with p99 <= {LIMIT_MS:g} ms: pulse {most['pulse']}, arena {most['arena']}"
    )
    columns = [*COLUMNS, ("vs_pulse", "CPU/room vs pulse")]
    tables.append(table(title, columns, rows))
    return {
        "rows": rows,
        "most_rooms_within_limit": most["pulse"],
        "most_arena_rooms_within_limit": most["arena"],
        "tables": tables,
    }
