"""``idle``: N sockets held open and doing nothing; the server's memory per connection.

The server's RSS is read once it is up and idle, then again after every socket is open and settled.
For roomservice each socket carries a guest session created over HTTP just before, so the figure is
the cost of a connection *with its session*; the baselines have no sessions.
"""

from __future__ import annotations

import asyncio
import gc
from typing import Any

from bench.adapters import Player
from bench.loadgen import split
from bench.options import Options
from bench.report import Progress, ratio, table
from bench.servers import Server
from bench.workloads.measure import running, servers_for
from bench.workloads.setup import colyseus_seats, sessions

SETTLE = 2.0
#: Seats per room of the Colyseus baseline's idle sockets.
COLYSEUS_ROOM = 100


async def measure(kind: str, opts: Options, ui: Progress) -> dict[str, Any]:
    server = Server(kind)
    ui.begin(f"idle {server.label}: starting the server")
    async with running(server, opts, ui) as gen:
        await gen.start()
        await asyncio.sleep(SETTLE / 2)
        before = server.rss()
        session_rate = None
        if kind == "roomservice":
            ui.begin(f"idle {server.label}: creating {opts.connections:,} sessions")
            tokens, session_rate = await sessions(server.port, opts.connections)
            players = [Player(i, "", token) for i, token in enumerate(tokens)]
        elif kind == "colyseus":
            # A Colyseus socket exists only in a room: seats reserved in rooms of COLYSEUS_ROOM.
            ui.begin(f"idle {server.label}: reserving {opts.connections:,} seats")
            rooms = -(-opts.connections // COLYSEUS_ROOM)
            seats = await colyseus_seats(server.port, rooms, COLYSEUS_ROOM)
            players = seats[: opts.connections]
        else:
            players = [Player(i) for i in range(opts.connections)]
        ui.begin(f"idle {server.label}: opening {len(players):,} sockets")
        answers = await gen.command([("connect", server.port, part) for part in split(players, opts.workers)])
        held = sum(a["ready"] for a in answers)
        await asyncio.sleep(SETTLE)
        gc.collect()
        after = server.rss()
        await gen.all("close")
    return {
        "server": server.label,
        "kind": kind,
        "connections": len(players),
        "held": held,
        "failed": len(players) - held,
        "errors": [e for a in answers for e in a["errors"]][:3],
        "rss_before_mib": round(before / 2**20, 1),
        "rss_after_mib": round(after / 2**20, 1),
        "kib_per_connection": round((after - before) / max(held, 1) / 1024, 1),
        "sessions_per_s": round(session_rate, 1) if session_rate else None,
    }


COLUMNS = [
    ("server", "server"),
    ("held", "held"),
    ("failed", "failed"),
    ("kib_per_connection", "KiB/conn"),
    ("vs_raw", "vs raw"),
    ("vs_socketio", "vs sio"),
    ("rss_before_mib", "RSS before MiB"),
    ("rss_after_mib", "RSS after MiB"),
]


async def run(opts: Options, ui: Progress) -> dict[str, Any]:
    kinds, notes = servers_for(opts, "idle", ("roomservice", "raw", "socketio", "colyseus"))
    rows = [await measure(kind, opts, ui) for kind in kinds]
    by_kind = {r["kind"]: r for r in rows}
    for row in rows:
        row["vs_raw"] = ratio(row["kib_per_connection"], by_kind.get("raw", {}).get("kib_per_connection"))
        row["vs_socketio"] = ratio(
            row["kib_per_connection"], by_kind.get("socketio", {}).get("kib_per_connection")
        )
    title = f"idle: {opts.connections:,} sockets held open; server memory per connection (lower is better)"
    text = table(title, COLUMNS, rows)
    if notes:
        text += "\n" + "\n".join(notes)
    return {"rows": rows, "notes": notes, "tables": [text]}
