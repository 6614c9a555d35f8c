"""``fanout``: R rooms × P players chatting; every chat goes to the whole room.

Per server, two phases on the same sockets:

1. *saturating*: each player keeps a few chats in flight and sends the next when its own comes back, so
   the server runs flat out: delivered frames/s is the headline.
2. *latency*: every player chats at a fixed rate, the same for every server: half the rate the first
   server (roomservice) saturated at. Latency is send to receipt by each other player of the room.
"""

from __future__ import annotations

from typing import Any

from bench.loadgen import split
from bench.options import Options
from bench.report import Progress, ratio, table
from bench.servers import Server
from bench.workloads.measure import connect_all, phase, running, servers_for
from bench.workloads.setup import seated_players


def window_for(per_room: int) -> int:
    """Chats in flight per player while saturating: enough to keep the server busy, few enough that a
    room's backlog (players × window) stays well inside roomservice's 256-frame outbox."""
    return max(1, min(8, 100 // per_room))


#: Chats per second of the smoke's latency phase, for all players together.
SMOKE_RATE = 300.0


async def measure(
    kind: str, rooms: int, per_room: int, rate: float | None, opts: Options, ui: Progress
) -> dict[str, Any]:
    server = Server(kind)
    ui.begin(f"fanout {rooms}x{per_room} {server.label}: starting the server and seating players")
    async with running(server, opts, ui) as gen:
        players = await seated_players(kind, server.port, rooms, per_room)
        await gen.start()
        ui.begin(f"fanout {rooms}x{per_room} {server.label}: connecting {len(players):,} sockets")
        await connect_all(gen, server.port, split(players, opts.workers), server.label)
        window = window_for(per_room)
        ui.begin(f"fanout {rooms}x{per_room} {server.label}: saturating ({window} in flight per player)")
        sat = await phase(gen, server, opts, ("closed_loop", opts.warmup, opts.duration, window))
        if rate is None:
            rate = sat["sent_per_s"] / 2
            if opts.smoke:  # a smoke checks that latency is measured, at a rate any machine keeps up with
                rate = min(rate, SMOKE_RATE)
        per_player = rate / len(players)
        ui.begin(f"fanout {rooms}x{per_room} {server.label}: latency at {rate:,.0f} chats/s")
        lat = await phase(gen, server, opts, ("open_loop", opts.warmup, opts.duration, per_player))
        await gen.all("close")
    return {
        "server": server.label,
        "kind": kind,
        "frames_per_s": sat["received_per_s"],
        "chats_per_s": sat["sent_per_s"],
        "saturated": sat,
        "latency_rate": round(rate, 1),
        "latency": lat,
        "p50_ms": lat["p50_ms"],
        "p99_ms": lat["p99_ms"],
        "max_ms": lat["max_ms"],
        "us_per_frame": sat["server_us_per_frame"],
        "cpu_percent": sat["server_cpu_percent"],
        "rss_mib": sat["server_rss_mib"],
        "loadgen_cpu_percent": sat["loadgen_cpu_percent"],
        "lost": sat["sockets_lost"] + lat["sockets_lost"],
    }


COLUMNS = [
    ("server", "server"),
    ("frames_per_s", "frames/s"),
    ("us_per_frame", "µs/frame"),
    ("per_core_vs_colyseus", "per core vs Colyseus"),
    ("vs_raw", "vs raw"),
    ("vs_socketio", "vs sio"),
    ("p50_ms", "p50 ms"),
    ("p99_ms", "p99 ms"),
    ("max_ms", "max ms"),
    ("p99_vs_raw", "p99/raw"),
    ("p99_vs_colyseus", "p99/Colyseus"),
    ("cpu_percent", "srv CPU%"),
    ("rss_mib", "RSS MiB"),
    ("loadgen_cpu_percent", "gen CPU%"),
    ("lost", "lost"),
]


#: Below this share of a core the server was not the bottleneck of the saturating phase.
SATURATED_CPU = 85.0


def bound_note(row: dict[str, Any], rooms: int, per_room: int) -> str | None:
    """A line for a row whose frames/s the server did not set: it had CPU to spare, so the load
    generator (or the chats in flight, or other work on the machine) was the limit, and only its µs
    per frame compares."""
    server, gen = row["cpu_percent"], row["loadgen_cpu_percent"]
    if server >= SATURATED_CPU:
        return None
    where = f"{rooms}x{per_room} {row['server']}"
    if gen >= SATURATED_CPU:
        why = "load-generator bound"
    else:
        why = "not saturated (too few chats in flight, or other work on the machine)"
    return (
        f"{where}: {why}: the server used {server:.0f}% of a core, the generator {gen:.0f}%; "
        f"its frames/s is not the server's limit: compare µs per frame"
    )


async def run(opts: Options, ui: Progress) -> dict[str, Any]:
    kinds, notes = servers_for(opts, "fanout", ("roomservice", "raw", "socketio", "colyseus"))
    shapes = []
    for rooms, per_room in opts.shapes:
        rows: list[dict[str, Any]] = []
        rate: float | None = None
        for kind in kinds:
            row = await measure(kind, rooms, per_room, rate, opts, ui)
            rate = row["latency_rate"]
            rows.append(row)
        by_kind = {r["kind"]: r for r in rows}
        colyseus = by_kind.get("colyseus", {})
        lines = []
        for row in rows:
            row["vs_raw"] = ratio(row["frames_per_s"], by_kind.get("raw", {}).get("frames_per_s"))
            row["vs_socketio"] = ratio(row["frames_per_s"], by_kind.get("socketio", {}).get("frames_per_s"))
            row["p99_vs_raw"] = ratio(row["p99_ms"], by_kind.get("raw", {}).get("p99_ms"))
            row["p99_vs_colyseus"] = ratio(row["p99_ms"], colyseus.get("p99_ms"))
            # Frames per second of server CPU, relative to Colyseus's: its µs per frame over ours.
            row["per_core_vs_colyseus"] = ratio(colyseus.get("us_per_frame"), row["us_per_frame"])
            row["bound"] = bound_note(row, rooms, per_room)
            if row["bound"]:
                lines.append(row["bound"])
        title = (
            f"fanout {rooms} rooms x {per_room} players: saturated frames/s and server CPU µs per delivered "
            f"frame; latency at {rate or 0:,.0f} chats/s ({window_for(per_room)} in flight per player when "
            f"saturating)"
        )
        text = table(title, COLUMNS, rows)
        if lines:
            text += "\n" + "\n".join(lines)
        shapes.append(
            {"rooms": rooms, "players": per_room, "latency_rate": rate, "rows": rows, "table": text}
        )
    tables = [s["table"] for s in shapes]
    if notes:
        tables.append("\n".join(notes))
    return {"shapes": shapes, "notes": notes, "tables": tables}
