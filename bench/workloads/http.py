"""``http``: concurrent clients each looping join + leave on a room over keep-alive HTTP.

A few hosts create rooms first (they stay seated, so the rooms live on); then every client joins and
leaves its room as fast as the server answers. Run on SQLite, on PostgreSQL when a URL is given, and on
the raw Starlette server's in-memory version of the same routes (the ceiling of the HTTP stack).
"""

from __future__ import annotations

from typing import Any

from bench.loadgen import split
from bench.options import Options
from bench.report import Progress, ratio, table
from bench.servers import Server
from bench.workloads.measure import measured, running
from bench.workloads.setup import create_rooms, sessions


def targets(opts: Options) -> list[Server]:
    servers = []
    for kind in opts.servers:
        if kind == "roomservice":
            servers.append(Server(kind, "sqlite"))
            if opts.postgres_url:
                servers.append(Server(kind, "postgresql", opts.postgres_url))
        elif kind == "raw":
            servers.append(Server(kind))
    return servers


async def measure(server: Server, opts: Options, ui: Progress) -> dict[str, Any]:
    ui.begin(f"http {server.label}: starting the server and creating sessions")
    async with running(server, opts, ui, kind="raw") as gen:
        hosts, _ = await sessions(server.port, opts.rooms)
        codes = await create_rooms(server.port, hosts, max(2, opts.clients + 1))
        tokens, session_rate = await sessions(server.port, opts.clients)
        clients = [(token, codes[i % len(codes)]) for i, token in enumerate(tokens)]
        await gen.start()
        ui.begin(f"http {server.label}: {len(clients)} clients looping join + leave")
        result = await measured(
            gen,
            server,
            [
                ("http", server.port, part, opts.warmup, opts.duration)
                for part in split(clients, opts.workers)
            ],
            opts.warmup,
            opts.duration,
        )
    return {
        "server": server.label,
        "kind": server.kind,
        "cycles_per_s": result["received_per_s"],
        "requests_per_s": round(2 * result["received_per_s"], 1),
        "p50_ms": result["p50_ms"],
        "p99_ms": result["p99_ms"],
        "max_ms": result["max_ms"],
        "cpu_percent": result["server_cpu_percent"],
        "loadgen_cpu_percent": result["loadgen_cpu_percent"],
        "sessions_per_s": round(session_rate, 1),
        "errors": result["errors"],
    }


COLUMNS = [
    ("server", "server"),
    ("cycles_per_s", "cycles/s"),
    ("requests_per_s", "requests/s"),
    ("vs_raw", "vs raw"),
    ("p50_ms", "p50 ms"),
    ("p99_ms", "p99 ms"),
    ("max_ms", "max ms"),
    ("cpu_percent", "srv CPU%"),
    ("loadgen_cpu_percent", "gen CPU%"),
    ("sessions_per_s", "sessions/s"),
]


async def run(opts: Options, ui: Progress) -> dict[str, Any]:
    rows = [await measure(server, opts, ui) for server in targets(opts)]
    raw = next((r for r in rows if r["kind"] == "raw"), {})
    for row in rows:
        row["vs_raw"] = ratio(row["cycles_per_s"], raw.get("cycles_per_s"))
    title = f"http: {opts.clients} clients looping join + leave over {opts.rooms} rooms; latency per request"
    return {"rows": rows, "tables": [table(title, COLUMNS, rows)]}
